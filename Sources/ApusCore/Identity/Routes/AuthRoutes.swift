import Foundation
import Hummingbird

/// Registration, login, token refresh, logout and sessions under `/v1/auth`.
struct AuthRoutes {
    let identity: Identity
    let authLimit: RateLimitMiddleware
    /// Login attempts per account (`APUS_RATE_LIMIT_LOGIN_EMAIL`). A client that has signed into
    /// the account within `knownClientWindow` draws from an allowance of its own, so wrong
    /// passwords sent from elsewhere cannot lock the owner out; every other client shares the
    /// account's allowance, so guessing from many addresses stays as slow as from one.
    let loginEmailLimiter: any RateLimiting
    let clientAddress: ClientAddress
    let decoy: DecoyHash
    let knownClientWindow: TimeInterval = 30 * 86_400

    func add(to router: some RouterMethods<ApusRequestContext>) {
        // Tokens and the account: kept by no cache, never by the idempotency store.
        let open = router.group("/v1/auth").add(middleware: NoStoreMiddleware()).add(middleware: authLimit)
        open.post("/register") { request, context in try await register(request, context) }
        open.post("/login") { request, context in try await login(request, context) }
        open.post("/refresh") { request, context in try await refresh(request, context) }

        let signedIn = router.group("/v1/auth").add(middleware: NoStoreMiddleware()).add(middleware: RequirePermission(.ownAccount))
        signedIn.get("/me") { _, context -> Response in
            let principal = try context.require(.ownAccount)
            guard let entry = try await identity.user(id: principal.userID) else { throw Problem.unauthorized("The account no longer exists.") }
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: entry.json))
        }
        signedIn.post("/logout") { _, context -> Response in
            let sessionID = try currentSession(context)
            _ = try await identity.sessions.revoke(sessionID: sessionID, userID: context.principal!.userID, reason: "logout")
            await identity.announceRevoked([sessionID])
            return Response(status: .noContent)
        }
        signedIn.post("/logout-all") { _, context -> Response in
            let principal = try context.require(.ownAccount)
            try await identity.endAllSessions(userID: principal.userID, reason: "logout-all")
            return Response(status: .noContent)
        }
        signedIn.get("/sessions") { _, context -> Page<Session> in
            let principal = try context.require(.ownAccount)
            return Page(items: try await identity.sessions.list(userID: principal.userID, current: principal.sessionID), nextCursor: nil)
        }
        signedIn.delete("/sessions/{id}") { _, context -> Response in
            let principal = try context.require(.ownAccount)
            let id = try context.requireID("id", kind: "session")
            guard try await identity.sessions.revoke(sessionID: id, userID: principal.userID, reason: "ended by user") else {
                throw Problem.notFound("No live session \(id).")
            }
            await identity.announceRevoked([id])
            return Response(status: .noContent)
        }
    }

    private func register(_ request: Request, _ context: ApusRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: Credentials.self, context: context)
        guard let email = EmailAddress.normalize(body.email) else {
            throw Problem.unprocessable("The email address is not valid.", errors: [.init(field: "email", message: "is not an email address")])
        }
        if let reason = PasswordPolicy.violation(body.password, email: email) {
            throw Problem.unprocessable("The password \(reason).", errors: [.init(field: "password", message: reason)])
        }
        let user = try await identity.users.create(email: email, passwordHash: try await identity.hasher.hash(body.password), roles: [.viewer])
        var response = try context.responseEncoder.encode(user, from: request, context: context)
        response.status = .created
        response.headers[.location] = "/v1/users/\(user.id)"
        return response
    }

    private func login(_ request: Request, _ context: ApusRequestContext) async throws -> Identity.TokenPair {
        let body = try await request.decodeJSON(as: Credentials.self, context: context)
        let email = EmailAddress.normalize(body.email) ?? body.email.lowercased()
        let client = ClientDigest(address: clientAddress.resolve(peer: context.peerAddress, forwardedFor: request.headers[RateLimitMiddleware.forwardedFor]))
        let known = try await identity.sessions.hasSignedIn(email: email, from: client, since: identity.platform.now().addingTimeInterval(-knownClientWindow))
        let outcome = try await loginEmailLimiter.acquire(known ? "email:\(email) client:\(client.value)" : "email:\(email)")
        guard outcome.allowed else {
            throw Problem(.tooManyRequests, detail: "Too many login attempts for this account; retry in \(outcome.reset) s.",
                          headers: [.retryAfter: String(outcome.reset)])
        }
        let credentials = try await identity.users.credentials(email: email)
        // Unknown emails are checked against a decoy hash, so both failures take the same time.
        let hash: String
        if let credentials { hash = credentials.passwordHash } else { hash = try await decoy.value(identity.hasher) }
        let matches = try await identity.hasher.verify(body.password, hash: hash)
        guard let credentials, matches, !credentials.user.disabled else {
            throw Problem.unauthorized("The email or password is wrong.")
        }
        let userAgent = request.headers[.userAgent]
        let (sessionID, refreshToken) = try await identity.sessions.create(userID: credentials.user.id, userAgent: userAgent, client: client)
        return try await identity.issue(user: credentials.user.id, roles: credentials.user.roles, sessionID: sessionID, refreshToken: refreshToken)
    }

    private func refresh(_ request: Request, _ context: ApusRequestContext) async throws -> Identity.TokenPair {
        let body = try await request.decodeJSON(as: RefreshRequest.self, context: context)
        switch try await identity.sessions.refresh(body.refreshToken) {
        case .rotated(let sessionID, let userID, let refreshToken):
            guard let user = try await identity.users.find(id: userID), !user.disabled else {
                throw Problem.unauthorized("The refresh token is invalid or expired.")
            }
            return try await identity.issue(user: user.id, roles: user.roles, sessionID: sessionID, refreshToken: refreshToken)
        case .reused(let sessionID):
            await identity.announceRevoked([sessionID])
            context.logger.warning("refresh token reused; session revoked", metadata: ["session_id": "\(sessionID)"])
            throw Problem.unauthorized("The refresh token was already used; the session has been ended.")
        case .invalid:
            throw Problem.unauthorized("The refresh token is invalid or expired.")
        }
    }

    private func currentSession(_ context: ApusRequestContext) throws -> String {
        let principal = try context.require(.ownAccount)
        guard let sessionID = principal.sessionID else {
            throw Problem(.forbidden, detail: "An API key has no session to end; delete the key instead.")
        }
        return sessionID
    }
}

/// A bcrypt hash of a random secret, made once at the configured cost.
actor DecoyHash {
    private var hash: String?

    func value(_ hasher: PasswordHasher) async throws -> String {
        if let hash { return hash }
        let made = try await hasher.decoyHash()
        hash = made
        return made
    }
}
