import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Inventory
import Testing

@Suite struct PaymentWebhookTests {
    @Test(arguments: DatabaseEngine.allCases)
    func aSignedPaymentCommitsTheStockOnceAndMarksTheOrderPaid(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A"], price: 700, stock: 5)
            let ada = try await shop.buyer("ada@example.com")
            let checkout = try await shop.checkout([("A", 2)], token: ada).decoded(CheckoutView.self)
            let paid = try await shop.pay(checkout: checkout.id, amount: 1400, eventID: "evt_paid")
            #expect(paid.status == .ok, "\(String(buffer: paid.body))")
            #expect(try paid.decoded(PaymentReceipt.self).outcome == "paid")
            let stock = try await shop.stock("A")
            #expect(stock.onHand == 3 && stock.reserved == 0)
            #expect(try await shop.client.json("/v1/orders/\(checkout.orderId)", .get, token: ada).decoded(OrderView.self).status == "paid")
            #expect(try await shop.client.json("/v1/checkouts/\(checkout.id)", .get, token: ada).decoded(CheckoutView.self).status == "committed")
            // The same event again: 200, nothing changes.
            let replay = try await shop.pay(checkout: checkout.id, amount: 1400, eventID: "evt_paid")
            #expect(replay.status == .ok)
            #expect(try replay.decoded(PaymentReceipt.self).outcome == "duplicate")
            #expect(try await shop.stock("A").onHand == 3)
            #expect(try await shop.events(InventoryEvents.orderPaid).count == 1)
            // A paid checkout cannot be cancelled.
            #expect(try await shop.client.json("/v1/checkouts/\(checkout.id)/cancel", .post, token: ada).status == .conflict)
            try await shop.expectStockRebuildsFromMovements()
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aBadSignatureChangesNothing(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A"], price: 700, stock: 5)
            let ada = try await shop.buyer("ada@example.com")
            let checkout = try await shop.checkout([("A", 2)], token: ada).decoded(CheckoutView.self)
            #expect(try await shop.pay(checkout: checkout.id, amount: 1400, secret: "whsec_wrong").status == .badRequest)
            #expect(try await shop.pay(checkout: checkout.id, amount: 1400, at: Date().addingTimeInterval(-3600)).status == .badRequest)
            let unsigned = try await shop.client.json("/v1/payments/webhook", .post, body: #"{"id":"evt_x","type":"payment_intent.succeeded","data":{"object":{}}}"#)
            #expect(unsigned.status == .badRequest)
            #expect(unsigned.headers[.contentType] == "application/problem+json")
            #expect(try await shop.stock("A").reserved == 2)
            #expect(try await shop.client.json("/v1/orders/\(checkout.orderId)", .get, token: ada).decoded(OrderView.self).status == "pending_payment")
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aFailedPaymentReleasesTheStock(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A"], price: 700, stock: 5)
            let ada = try await shop.buyer("ada@example.com")
            let checkout = try await shop.checkout([("A", 2)], token: ada).decoded(CheckoutView.self)
            let failed = try await shop.pay("payment_intent.payment_failed", checkout: checkout.id, amount: 1400)
            #expect(try failed.decoded(PaymentReceipt.self).outcome == "released")
            #expect(try await shop.stock("A").reserved == 0)
            #expect(try await shop.client.json("/v1/orders/\(checkout.orderId)", .get, token: ada).decoded(OrderView.self).status == "canceled")
            try await shop.expectStockRebuildsFromMovements()
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPaymentThatDoesNotMatchTheOrderNeedsARefund(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A"], price: 700, stock: 5)
            let ada = try await shop.buyer("ada@example.com")
            let checkout = try await shop.checkout([("A", 2)], token: ada).decoded(CheckoutView.self)
            let wrong = try await shop.pay(checkout: checkout.id, amount: 1400, currency: "usd")
            #expect(try wrong.decoded(PaymentReceipt.self).outcome == "refund_needed")
            #expect(try await shop.stock("A").onHand == 5)
            #expect(try await shop.stock("A").reserved == 0)
            #expect(try await shop.client.json("/v1/orders/\(checkout.orderId)", .get, token: ada).decoded(OrderView.self).status == "refund_needed")
            #expect(try await shop.events(InventoryEvents.orderRefundNeeded).count == 1)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPaymentAfterExpiryTakesTheStockAgainIfItCanElseAsksForARefund(engine: DatabaseEngine) async throws {
        let clock = TestClock()
        try await Shop.with(engine: engine, clock: clock, settings: ["APUS_INVENTORY_RESERVATION_TTL": "60"]) { shop in
            try await shop.product(["A"], price: 100, stock: 3)
            let ada = try await shop.buyer("ada@example.com")
            let first = try await shop.checkout([("A", 2)], token: ada).decoded(CheckoutView.self)
            let second = try await shop.checkout([("A", 1)], token: ada).decoded(CheckoutView.self)
            clock.advance(by: 61)
            #expect(try await shop.service().releaseExpired(now: clock.now()) == 2)
            // Someone else buys 2 of the 3 meanwhile.
            let other = try await shop.checkout([("A", 2)], token: ada).decoded(CheckoutView.self)
            #expect(try await shop.pay(checkout: other.id, amount: 200).decoded(PaymentReceipt.self).outcome == "paid")
            // The late payment of 1 finds 1 free: taken again, paid.
            #expect(try await shop.pay(checkout: second.id, amount: 100).decoded(PaymentReceipt.self).outcome == "paid")
            #expect(try await shop.client.json("/v1/orders/\(second.orderId)", .get, token: ada).decoded(OrderView.self).status == "paid")
            // The late payment of 2 finds none: refund.
            #expect(try await shop.pay(checkout: first.id, amount: 200).decoded(PaymentReceipt.self).outcome == "refund_needed")
            #expect(try await shop.client.json("/v1/orders/\(first.orderId)", .get, token: ada).decoded(OrderView.self).status == "refund_needed")
            let refunds = try await shop.events(InventoryEvents.orderRefundNeeded)
            #expect(refunds.count == 1 && refunds[0].contains(first.orderId))
            let stock = try await shop.stock("A")
            #expect(stock.onHand == 0 && stock.reserved == 0)
            try await shop.expectStockRebuildsFromMovements()
        }
    }
}
