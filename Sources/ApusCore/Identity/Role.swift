/// The roles a user can hold, from most to least powerful.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case admin
    case editor
    case author
    case viewer

    /// The role's bit in a set of roles kept as a mask: asking whether a caller holds a
    /// permission, on every request, is then one `&` instead of hashing role names.
    package var bit: UInt8 {
        switch self {
        case .admin: 1
        case .editor: 2
        case .author: 4
        case .viewer: 8
        }
    }

    /// `roles` as a mask of their ``bit``s.
    package static func mask(_ roles: Set<Role>) -> UInt8 {
        roles.reduce(0) { $0 | $1.bit }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Something a route needs its caller to be allowed, and which roles allow it. Admins are allowed
/// everything. Modules declare their own permissions beside their routes.
public struct Permission: Hashable, Sendable, CustomStringConvertible {
    /// The permission's name, as API key scopes spell it (`users.manage`).
    public let name: String
    /// Roles that hold it (admin always does).
    public let roles: Set<Role>
    /// `roles` as a mask (``Role/bit``).
    package let roleMask: UInt8

    public init(_ name: String, roles: Set<Role>) {
        self.name = name
        self.roles = roles.union([.admin])
        self.roleMask = Role.mask(self.roles)
    }

    public var description: String { name }

    /// Reading and changing one's own account, sessions and API keys.
    public static let ownAccount = Permission("account.self", roles: Set(Role.allCases))
    /// Listing, changing and deleting any user.
    public static let manageUsers = Permission("users.manage", roles: [.admin])
    /// Inspecting the job queue and replaying dead jobs.
    public static let manageJobs = Permission("jobs.manage", roles: [.admin])
}
