import Foundation
import Logging

/// Everything the platform knows about who is calling: accounts, sessions, tokens, API keys.
public struct Identity: Sendable {
    public let users: UserStore
    public let sessions: SessionStore
    public let apiKeys: APIKeyStore
    public let signingKeys: SigningKeys
    public let hasher: PasswordHasher
    /// Whether each session is live, per node; revocations invalidate it on every node.
    let sessionStatus: BusInvalidatedCache<String, Bool>
    let platform: Platform
    let accessLifetime: TimeInterval

    public init(platform: Platform) {
        let configuration = platform.configuration
        self.users = UserStore(database: platform.database, now: platform.now)
        self.sessions = SessionStore(database: platform.database, refreshLifetime: configuration.refreshTokenLifetime, now: platform.now)
        self.apiKeys = APIKeyStore(
            database: platform.database, unknown: platform.cache("identity.unknown-keys", capacity: 50_000, lifetime: .zero, missLifetime: .seconds(60)),
            now: platform.now
        )
        self.signingKeys = SigningKeys(database: platform.database, logger: platform.logger, now: platform.now)
        self.hasher = PasswordHasher(cost: configuration.bcryptCost)
        self.sessionStatus = platform.cache("identity.sessions", capacity: 100_000, lifetime: .seconds(300))
        self.platform = platform
        self.accessLifetime = configuration.accessTokenLifetime
    }

    /// A token pair for a new or refreshed session.
    struct TokenPair: Codable, Sendable {
        var accessToken: String
        var tokenType = "Bearer"
        var expiresIn: Int
        var refreshToken: String
    }

    func issue(user userID: String, roles: [Role], sessionID: String, refreshToken: String) async throws -> TokenPair {
        let now = platform.now()
        let claims = AccessClaims(
            sub: .init(value: userID),
            iat: .init(value: now),
            exp: .init(value: now.addingTimeInterval(accessLifetime)),
            jti: .init(value: OpaqueID.random(words: 2)),
            sid: sessionID,
            roles: roles.map(\.rawValue)
        )
        return TokenPair(accessToken: try await signingKeys.sign(claims), expiresIn: Int(accessLifetime), refreshToken: refreshToken)
    }

    /// The caller an access token stands for, or `nil` if it is invalid, expired or its session is over.
    func principal(accessToken: String) async throws -> Principal? {
        guard let verified = try? await signingKeys.verify(accessToken) else { return nil }
        let sessionID = verified.claims.sid
        let active = try await sessionStatus.value(for: sessionID) { [sessions] in try await sessions.isActive(sessionID: sessionID) }
        guard active == true else { return nil }
        return verified.principal
    }

    /// The caller `token` stands for (an `apus_` API key, else an access token), or `nil` if it
    /// is not valid now.
    func principal(token: String) async throws -> Principal? {
        token.hasPrefix("apus_") ? try await apiKeys.principal(for: token) : try await principal(accessToken: token)
    }

    /// Whether what `principal` was authenticated with still holds: the user exists and is
    /// enabled, and its session is live or its API key still exists. Asked of every open
    /// socket when revocations may have been lost; `true` when it cannot tell.
    func isStillValid(_ principal: Principal) async -> Bool {
        do {
            guard let user = try await users.find(id: principal.userID), !user.disabled else { return false }
            if let session = principal.sessionID { return try await sessions.isActive(sessionID: session) }
            if let key = principal.apiKeyID { return try await apiKeys.list(userID: principal.userID).contains { $0.id == key } }
            return true
        } catch {
            return true
        }
    }

    /// Ends sessions on every node at once.
    func announceRevoked(_ sessionIDs: [String]) async {
        guard !sessionIDs.isEmpty else { return }
        await platform.invalidate(sessionStatus, sessionIDs)
        // A hundred ids keep a message well inside the bus's payload limit.
        for start in stride(from: 0, to: sessionIDs.count, by: 100) {
            await revokeSockets(SocketRevocation(sessions: Array(sessionIDs[start..<min(start + 100, sessionIDs.count)])))
        }
    }

    /// Closes, on every node, the sockets `revocation` covers: a socket outlives the token that
    /// opened it, so ending a session or a key must reach it.
    func revokeSockets(_ revocation: SocketRevocation) async {
        do {
            try await platform.bus.publish(OpenSockets.channel, revocation.encoded)
        } catch {
            platform.logger.error("cannot announce a revocation to open sockets", metadata: ["error": "\(error)"])
        }
    }

    /// A user and its JSON, from this node's cache when it has them.
    func user(id: String) async throws -> CachedUsers.Entry? {
        try await platform.identityUsers.entry(id: id)
    }

    /// Ends every session of a user (logout-all).
    func endAllSessions(userID: String, reason: String) async throws {
        await announceRevoked(try await sessions.revokeAll(userID: userID, reason: reason))
    }

    /// Changes a user's roles and/or disabled flag; `nil` if there is no such user. A change of
    /// roles or a disabling ends every session at once (tokens carry roles); disabling and
    /// enabling write `identity.user.disabled` / `identity.user.enabled` in the same transaction.
    public func updateUser(id: String, roles: [Role]?, disabled: Bool?) async throws -> User? {
        try await platform.transaction { [users, sessionStatus, platform] transaction in
            guard let change = try await users.update(id: id, roles: roles, disabled: disabled, on: transaction.sql) else { return nil }
            let (before, after) = change
            let wasAdmin = before.roles.contains(.admin) && !before.disabled
            let isAdmin = after.roles.contains(.admin) && !after.disabled
            if wasAdmin, !isAdmin, try await !users.anotherActiveAdmin(than: id, on: transaction.sql) {
                throw Problem.conflict("This is the last active admin; make another admin first.")
            }
            transaction.invalidate(platform.identityUsers.cache, id)
            if after.disabled != before.disabled {
                try await transaction.emit(
                    after.disabled ? IdentityEvents.userDisabled : IdentityEvents.userEnabled, aggregate: id, json: IdentityEvents.UserChange(userId: id)
                )
            }
            if (after.disabled && !before.disabled) || Set(after.roles) != Set(before.roles) {
                let reason = after.disabled && !before.disabled ? "disabled" : "roles changed"
                for session in try await SessionStore.revokeAll(userID: id, reason: reason, at: transaction.now(), on: transaction.sql) {
                    transaction.invalidate(sessionStatus, session)
                }
                // Keys carry the user's roles too: every socket of the user goes.
                try transaction.publish(OpenSockets.channel, SocketRevocation(user: id).encoded)
            }
            return after
        }
    }

    /// Deletes a user with their sessions and keys, and writes `identity.user.deleted` in the same
    /// transaction so every module drops what it holds of them; `false` if there is no such user.
    public func deleteUser(id: String) async throws -> Bool {
        try await platform.transaction { [users, sessionStatus, platform] transaction in
            if let user = try await users.find(id: id, on: transaction.sql), user.roles.contains(.admin), !user.disabled,
                try await !users.anotherActiveAdmin(than: id, on: transaction.sql)
            {
                throw Problem.conflict("This is the last active admin; make another admin first.")
            }
            let ended = try await SessionStore.revokeAll(userID: id, reason: "deleted", at: transaction.now(), on: transaction.sql)
            guard try await users.delete(id: id, on: transaction.sql) else { return false }
            for session in ended { transaction.invalidate(sessionStatus, session) }
            transaction.invalidate(platform.identityUsers.cache, id)
            try transaction.publish(OpenSockets.channel, SocketRevocation(user: id).encoded)
            try await transaction.emit(IdentityEvents.userDeleted, aggregate: id, json: IdentityEvents.UserChange(userId: id))
            return true
        }
    }

    /// Whether an enabled admin exists (until one does, `apus serve` tells a person at a
    /// terminal how to make the first).
    public func hasActiveAdmin() async throws -> Bool {
        try await platform.read { sql in try await users.anotherActiveAdmin(than: "", on: sql) }
    }

    /// Creates the first admin from `APUS_ADMIN_EMAIL`/`APUS_ADMIN_PASSWORD` unless that account
    /// exists. Nodes of a cluster started together all try: the one whose insert lands creates
    /// it, and for the others the account exists (`false`), as when it was made before.
    public func bootstrapAdmin(email: String, password: String) async throws -> Bool {
        guard let email = EmailAddress.normalize(email) else {
            throw ConfigurationError.invalid("APUS_ADMIN_EMAIL", "is not an email address")
        }
        if let reason = PasswordPolicy.violation(password, email: email) {
            throw ConfigurationError.invalid("APUS_ADMIN_PASSWORD", reason)
        }
        guard try await users.find(email: email) == nil else { return false }
        do {
            _ = try await users.create(email: email, passwordHash: try await hasher.hash(password), roles: [.admin])
        } catch let problem as Problem where problem.status == .conflict {
            return false
        }
        return true
    }

    /// Follows key rotations from other nodes; runs until cancelled. (Session revocations and user
    /// changes arrive as cache invalidations.)
    func followCluster() async {
        async let keys: Void = signingKeys.follow(await platform.bus.subscribe(SigningKeys.channel))
        // A rotation made by `apus keys rotate` in another process reaches a SQLite node this way.
        async let reload: Void = reloadKeysPeriodically()
        _ = await (keys, reload)
    }

    private func reloadKeysPeriodically() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(60))
            try? await signingKeys.load()
        }
    }
}
