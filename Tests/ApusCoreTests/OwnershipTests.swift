import ApusCore
import Testing

/// "Its owner, or an admin": one rule for what a caller may open and which owner a list shows.
@Suite struct OwnershipTests {
    let ada = Principal(userID: "usr_ada", roles: [.author])
    let root = Principal(userID: "usr_root", roles: [.admin])

    @Test func anOwnerSeesTheirOwnAndAnAdminSeesEveryones() {
        #expect(ada.mayAccess(ownedBy: "usr_ada"))
        #expect(!ada.mayAccess(ownedBy: "usr_bob") && !ada.mayAccess(ownedBy: nil))
        #expect(root.mayAccess(ownedBy: "usr_bob") && root.mayAccess(ownedBy: nil))
        #expect(ada.listedOwner == "usr_ada")
        #expect(root.listedOwner == nil)
    }
}
