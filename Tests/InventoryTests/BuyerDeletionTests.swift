import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Inventory
import Testing

@Suite struct BuyerDeletionTests {
    @Test(arguments: DatabaseEngine.allCases)
    func aDeletedBuyersHoldsGoBackAndTheirPaidOrdersStay(engine: DatabaseEngine) async throws {
        try await TestServer.withTwoServers(engine: engine, modules: [InventoryModule()], configure: {
            $0.settings = Settings(["APUS_INVENTORY_PAYMENT_SECRET": paymentSecret])
        }) { first, _ in
            let shop = Shop(server: first.0, client: first.1, admin: try await first.1.signedIn("admin@example.com", roles: [.admin], server: first.0).accessToken)
            try await shop.location("main")
            try await shop.product(["A"], price: 100, stock: 10)
            let ada = try await shop.buyer("ada@example.com")
            let held = try await shop.checkout([("A", 3)], token: ada).decoded(CheckoutView.self)
            let bought = try await shop.checkout([("A", 2)], token: ada).decoded(CheckoutView.self)
            #expect(try await shop.pay(checkout: bought.id, amount: 200).status == .ok)
            let adaID = try #require(try await shop.server.identity.users.find(email: "ada@example.com")?.id)
            #expect(try await shop.client.json("/v1/users/\(adaID)", .delete, token: shop.admin).status == .noContent)
            #expect(try await eventually { try await shop.stock("A").reserved == 0 }, "the hold was not released")
            #expect(try await shop.client.json("/v1/orders/\(held.orderId)", .get, token: shop.admin).decoded(OrderView.self).status == "canceled")
            #expect(try await shop.client.json("/v1/orders/\(bought.orderId)", .get, token: shop.admin).decoded(OrderView.self).status == "paid")
            #expect(try await shop.stock("A").onHand == 8)
            try await shop.expectStockRebuildsFromMovements()
        }
    }
}
