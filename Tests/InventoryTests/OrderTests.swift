import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Inventory
import Testing

@Suite struct OrderTests {
    struct Page: Decodable { let items: [OrderView]; let nextCursor: String? }

    @Test(arguments: DatabaseEngine.allCases)
    func ordersAreTheirOwnersAndStaffFulfilAndTakeReturns(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A", "B"], price: 500, stock: 10)
            let ada = try await shop.buyer("ada@example.com")
            let eve = try await shop.buyer("eve@example.com")
            let checkout = try await shop.checkout([("A", 3), ("B", 1)], token: ada).decoded(CheckoutView.self)
            _ = try await shop.checkout([("B", 1)], token: eve)
            #expect(try await shop.client.json("/v1/orders", .get, token: ada).decoded(Page.self).items.map(\.id) == [checkout.orderId])
            #expect(try await shop.client.json("/v1/orders", .get, token: shop.admin).decoded(Page.self).items.count == 2)
            let firstPage = try await shop.client.json("/v1/orders?limit=1", .get, token: shop.admin).decoded(Page.self)
            #expect(firstPage.items.count == 1 && firstPage.nextCursor != nil)
            #expect(try await shop.client.json("/v1/orders", .get).status == .unauthorized)

            let fulfil = "/v1/orders/\(checkout.orderId)/fulfilment"
            // Not paid yet; and buyers cannot fulfil.
            #expect(try await shop.client.json(fulfil, .post, token: shop.admin, body: #"{"status":"shipped"}"#).status == .conflict)
            #expect(try await shop.client.json(fulfil, .post, token: ada, body: #"{"status":"shipped"}"#).status == .forbidden)
            #expect(try await shop.pay(checkout: checkout.id, amount: 2000).status == .ok)
            #expect(try await shop.client.json(fulfil, .post, token: shop.admin, body: #"{"status":"teleported"}"#).status == .unprocessableContent)
            #expect(try await shop.client.json(fulfil, .post, token: shop.admin, body: #"{"status":"shipped"}"#).decoded(OrderView.self).fulfilment == "shipped")
            #expect(try await shop.client.json(fulfil, .post, token: shop.admin, body: #"{"status":"shipped"}"#).status == .conflict)
            #expect(try await shop.client.json(fulfil, .post, token: shop.admin, body: #"{"status":"delivered"}"#).decoded(OrderView.self).fulfilment == "delivered")

            let returns = "/v1/orders/\(checkout.orderId)/returns"
            let tooMany = try await shop.client.json(returns, .post, token: shop.admin, body: #"{"lines":[{"sku":"A","quantity":4}],"reason":"broken"}"#)
            #expect(tooMany.status == .unprocessableContent)
            #expect(try tooMany.decoded(ProblemView.self).errors?.first?.field == "lines[0].quantity")
            #expect(try await shop.client.json(returns, .post, token: shop.admin, body: #"{"lines":[{"sku":"C","quantity":1}],"reason":"x"}"#).status == .unprocessableContent)
            let partial = try await shop.client.json(returns, .post, token: shop.admin, body: #"{"lines":[{"sku":"A","quantity":2}],"reason":"broken"}"#).decoded(OrderView.self)
            #expect(partial.lines.first { $0.sku == "A" }?.returned == 2)
            #expect(partial.fulfilment == "delivered")
            #expect(try await shop.stock("A").onHand == 10 - 3 + 2)
            let all = try await shop.client.json(returns, .post, token: shop.admin, body: #"{"lines":[{"sku":"A","quantity":1},{"sku":"B","quantity":1}],"reason":"unwanted"}"#).decoded(OrderView.self)
            #expect(all.fulfilment == "returned")
            #expect(try await shop.stock("A").onHand == 10)
            try await shop.expectStockRebuildsFromMovements()
        }
    }
}
