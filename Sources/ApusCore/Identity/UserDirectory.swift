import Foundation

/// What a module may know of a user: it never reads Identity's tables.
public struct DirectoryUser: Sendable, Equatable {
    /// The user's id (`usr_...`).
    public let id: String
    /// The user's email address.
    public let email: String
    /// The user's roles.
    public let roles: Set<Role>
    /// Whether the account is disabled (its tokens and keys are refused).
    public let disabled: Bool
}

/// Users as modules see them, through ``Platform/users``.
public protocol UserDirectory: Sendable {
    /// The user with `id`, or `nil` when there is none.
    func user(id: String) async throws -> DirectoryUser?
}

extension UserDirectory {
    /// Whether a user with `id` exists.
    public func exists(id: String) async throws -> Bool {
        try await user(id: id) != nil
    }
}

/// The events Identity writes in the transaction of a change to an account, for modules holding
/// per-user data to react to through their event consumers.
public enum IdentityEvents {
    /// The account and everything of it must go.
    public static let userDeleted = "identity.user.deleted"
    /// The account was disabled: its sessions and keys stop working.
    public static let userDisabled = "identity.user.disabled"
    /// A disabled account was enabled again.
    public static let userEnabled = "identity.user.enabled"

    /// The schema of ``UserChange``.
    static let changeSchema = OpenAPIDocument.object(["user_id": ["type": "string", "pattern": OpenAPIDocument.idPattern]])

    /// What each of these events carries.
    public struct UserChange: Codable, Sendable, Equatable {
        /// The user concerned.
        public let userId: String

        public init(userId: String) {
            self.userId = userId
        }

        /// The payload of `event`, if it is one of these.
        public static func decode(_ event: DomainEvent) -> UserChange? {
            try? APIJSON.decoder.decode(UserChange.self, from: Data(event.payload.utf8))
        }
    }
}
