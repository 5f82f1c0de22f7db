/// Who is calling: a user through a session's access token, or through one of their API keys.
public struct Principal: Sendable, Equatable {
    /// The user acting.
    public let userID: String
    /// The user's roles now.
    public let roles: Set<Role>
    /// The session of an access token.
    public let sessionID: String?
    /// The API key used, if any.
    public let apiKeyID: String?
    /// An API key's scopes (permission names); `nil` for a session, which has all its roles allow.
    public let scopes: Set<String>?
    /// Whom limits and replays count the caller as: `key:<id>` for an API key, else `user:<id>`.
    /// Made once here, as rate limiting asks for it on every request.
    package let callerKey: String
    /// `roles` as a mask (``Role/bit``).
    package let roleMask: UInt8

    public init(userID: String, roles: Set<Role>, sessionID: String? = nil, apiKeyID: String? = nil, scopes: Set<String>? = nil) {
        self.userID = userID
        self.roles = roles
        self.sessionID = sessionID
        self.apiKeyID = apiKeyID
        self.scopes = scopes
        self.callerKey = apiKeyID.map { "key:\($0)" } ?? "user:\(userID)"
        self.roleMask = Role.mask(roles)
    }

    /// Whether the caller may do what `permission` guards: a role must allow it, and an API key
    /// must also carry it as a scope, so a key never has more rights than its owner.
    public func has(_ permission: Permission) -> Bool {
        guard roleMask & permission.roleMask != 0 else { return false }
        if let scopes { return scopes.contains(permission.name) }
        return true
    }

    /// Whether the caller is an admin (through a session, or a key scoped for it).
    public var isAdmin: Bool { has(.manageUsers) }
}
