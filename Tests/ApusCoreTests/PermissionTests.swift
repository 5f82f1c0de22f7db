import ApusCore
import Testing

/// Whether a caller holds a permission, checked on every request through role masks: the same
/// answer as the sets of roles give, for every role set, and an API key's scopes still narrow it.
@Suite struct PermissionTests {
    static let permissions = [
        Permission("things.read", roles: [.viewer, .author, .editor]), Permission("things.write", roles: [.editor]),
        Permission("things.own", roles: [.author]), .manageUsers, .ownAccount,
    ]

    /// Every subset of the roles.
    static var roleSets: [Set<Role>] {
        (0..<(1 << Role.allCases.count)).map { bits in Set(Role.allCases.enumerated().filter { bits & (1 << $0.offset) != 0 }.map(\.element)) }
    }

    @Test func aCallerHoldsAPermissionWhenOneOfItsRolesAllowsIt() {
        for roles in Self.roleSets {
            let principal = Principal(userID: "usr_1", roles: roles, sessionID: "ses_1")
            for permission in Self.permissions {
                #expect(principal.has(permission) == !roles.isDisjoint(with: permission.roles), "\(roles) \(permission)")
            }
        }
    }

    @Test func anAPIKeyHoldsOnlyWhatItsScopesAndItsOwnersRolesBothAllow() {
        let key = Principal(userID: "usr_1", roles: [.editor], apiKeyID: "key_1", scopes: ["things.read"])
        #expect(key.has(Self.permissions[0]))
        #expect(!key.has(Self.permissions[1]))
        let narrow = Principal(userID: "usr_1", roles: [.viewer], apiKeyID: "key_2", scopes: ["things.write"])
        #expect(!narrow.has(Self.permissions[1]))
    }
}
