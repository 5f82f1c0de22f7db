import Foundation
import Logging

/// Everything the platform knows about who is calling: accounts, sessions, tokens, API keys.
public struct Identity: Sendable {
    public let users: UserStore
    public let sessions: SessionStore
    public let apiKeys: APIKeyStore
    public let signingKeys: SigningKeys
    public let hasher: PasswordHasher
    let sessionStatus: SessionStatusCache
    let userCache: UserCache
    let bus: any ClusterBus
    let accessLifetime: TimeInterval

    public init(platform: Platform) {
        let configuration = platform.configuration
        self.users = UserStore(database: platform.database)
        self.sessions = SessionStore(database: platform.database, refreshLifetime: configuration.refreshTokenLifetime)
        self.apiKeys = APIKeyStore(database: platform.database)
        self.signingKeys = SigningKeys(database: platform.database, logger: platform.logger)
        self.hasher = PasswordHasher(cost: configuration.bcryptCost)
        self.sessionStatus = SessionStatusCache(store: sessions)
        self.userCache = UserCache(store: users)
        self.bus = platform.bus
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
        let now = Date()
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
        guard let claims = try? await signingKeys.verify(accessToken) else { return nil }
        guard try await sessionStatus.isActive(claims.sid) else { return nil }
        return Principal(userID: claims.sub.value, roles: Set(claims.roles.compactMap(Role.init(rawValue:))), sessionID: claims.sid)
    }

    /// Ends sessions on every node at once.
    func announceRevoked(_ sessionIDs: [String]) async {
        guard !sessionIDs.isEmpty else { return }
        sessionStatus.revoked(sessionIDs)
        try? await bus.publish(SessionStatusCache.channel, sessionIDs.joined(separator: ","))
    }

    /// A user and its JSON, from this node's cache when it has them.
    func user(id: String) async throws -> UserCache.Entry? {
        try await userCache.user(id: id)
    }

    /// Tells every node that a user changed, so no cached copy outlives the change.
    func announceUserChanged(_ id: String) async {
        userCache.forget(id)
        try? await bus.publish(UserCache.channel, id)
    }

    /// Ends every session of a user (logout-all, disabling, deletion, role change).
    func endAllSessions(userID: String, reason: String) async throws {
        await announceRevoked(try await sessions.revokeAll(userID: userID, reason: reason))
    }

    /// Creates the first admin from `APUS_ADMIN_EMAIL`/`APUS_ADMIN_PASSWORD` unless that account exists.
    public func bootstrapAdmin(email: String, password: String) async throws -> Bool {
        guard let email = EmailAddress.normalize(email) else {
            throw ConfigurationError.invalid("APUS_ADMIN_EMAIL", "is not an email address")
        }
        if let reason = PasswordPolicy.violation(password, email: email) {
            throw ConfigurationError.invalid("APUS_ADMIN_PASSWORD", reason)
        }
        guard try await users.find(email: email) == nil else { return false }
        _ = try await users.create(email: email, passwordHash: try await hasher.hash(password), roles: [.admin])
        return true
    }

    /// Follows revocations and key rotations from other nodes; runs until cancelled.
    func followCluster() async {
        async let sessions: Void = sessionStatus.follow(await bus.subscribe(SessionStatusCache.channel))
        async let keys: Void = signingKeys.follow(await bus.subscribe(SigningKeys.channel))
        async let users: Void = userCache.follow(await bus.subscribe(UserCache.channel))
        // A rotation made by `apus keys rotate` in another process reaches a SQLite node this way.
        async let reload: Void = reloadKeysPeriodically()
        _ = await (sessions, keys, users, reload)
    }

    private func reloadKeysPeriodically() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(60))
            try? await signingKeys.load()
        }
    }
}
