@_spi(Platform) @testable import ApusCore
import ApusTesting
import Foundation
@testable import Inventory
import SQLKit
import Testing

/// A succeeded payment that races a cancel or an expiry ends paid (or, with the stock gone, as
/// a refund to make), never ignored. The payment is held at its decision while the other side
/// runs, so the interleaving that once lost the payment on PostgreSQL is the one tested.
@Suite struct PaymentRaceTests {
    /// Sends `payment` to a service whose payment path stops at its decision until `gate`
    /// opens; returns once the payment is held there.
    private static func heldPayment(
        _ shop: Shop, _ payment: (payload: String, signature: String), gate: Gate
    ) async throws -> Task<PaymentReceipt, any Error> {
        let arrived = Gate()
        let service = try shop.service(hooks: InventoryHooks(atPaymentDecision: { _ in
            await arrived.open()
            await gate.wait()
        }))
        let task = Task { try await service.receivePayment(payload: Array(payment.payload.utf8), signature: payment.signature) }
        await arrived.wait()
        return task
    }

    /// Starts the other side of the race and returns once it has finished or waits: on a row
    /// lock on PostgreSQL, for the one writer connection on SQLite.
    private static func otherSide<Value: Sendable>(
        _ shop: Shop, engine: DatabaseEngine, _ body: @escaping @Sendable () async throws -> Value
    ) async throws -> Task<Value, any Error> {
        let done = Gate()
        let task = Task {
            defer { Task { await done.open() } }
            return try await body()
        }
        try await untilBlockedOrDone(shop, engine: engine, done)
        return task
    }

    private static func untilBlockedOrDone(_ shop: Shop, engine: DatabaseEngine, _ done: Gate) async throws {
        let settled = try await eventually(10) {
            if await done.isOpen { return true }
            if let sqlite = shop.server.platform.database as? SQLiteBackend { return await sqlite.writersWaiting > 0 }
            let waiting = try await shop.server.platform.database.read { sql in
                try await sql.raw("""
                    SELECT CAST(count(*) AS BIGINT) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                    """).first()?.decode(column: "n", as: Int.self) ?? 0
            }
            return waiting > 0
        }
        #expect(settled, "the other side neither finished nor waited on a lock")
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPaymentHeldAtItsDecisionWhileTheBuyerCancelsEndsPaid(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A"], price: 100, stock: 2)
            let ada = try await shop.buyer("ada@example.com")
            let checkout = try await shop.checkout([("A", 2)], token: ada).decoded(CheckoutView.self)
            let gate = Gate()
            let payment = try await Self.heldPayment(shop, shop.payment(checkout: checkout.id, amount: 200), gate: gate)
            // The cancel either commits now (and the payment must take the units again) or
            // waits for the payment's decision (and finds the checkout paid).
            let cancel = try await Self.otherSide(shop, engine: engine) {
                try await shop.client.json("/v1/checkouts/\(checkout.id)/cancel", .post, token: ada).status
            }
            await gate.open()
            let receipt = try await payment.value
            let cancelled = try await cancel.value
            #expect(receipt.outcome == "paid", "cancel answered \(cancelled)")
            let order = try await shop.client.json("/v1/orders/\(checkout.orderId)", .get, token: ada).decoded(OrderView.self)
            #expect(order.status == "paid")
            let stock = try await shop.stock("A")
            #expect(stock.onHand == 0 && stock.reserved == 0)
            try await shop.expectStockRebuildsFromMovements()
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPaymentHeldAtItsDecisionWhileTheHoldExpiresEndsPaidOrAsARefund(engine: DatabaseEngine) async throws {
        let clock = TestClock()
        try await Shop.with(engine: engine, clock: clock, settings: ["APUS_INVENTORY_RESERVATION_TTL": "60"]) { shop in
            try await shop.product(["A"], price: 100, stock: 1)
            let ada = try await shop.buyer("ada@example.com")
            let checkout = try await shop.checkout([("A", 1)], token: ada).decoded(CheckoutView.self)
            let delivery = shop.payment(checkout: checkout.id, amount: 100)
            clock.advance(by: 61)
            let gate = Gate()
            let payment = try await Self.heldPayment(shop, delivery, gate: gate)
            let expiry = try await Self.otherSide(shop, engine: engine) {
                try await shop.service().releaseExpired(now: clock.now())
            }
            await gate.open()
            let receipt = try await payment.value
            let released = try await expiry.value
            #expect(receipt.outcome == "paid", "the expiry released \(released)")
            let order = try await shop.client.json("/v1/orders/\(checkout.orderId)", .get, token: ada).decoded(OrderView.self)
            #expect(order.status == "paid")
            #expect(try await shop.events(InventoryEvents.orderPaid).count == 1)
            let stock = try await shop.stock("A")
            #expect(stock.onHand == 0 && stock.reserved == 0)
            try await shop.expectStockRebuildsFromMovements()
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPaymentAfterACommittedCancelWhoseStockWasSoldAsksForARefundWithItsEvent(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A"], price: 100, stock: 1)
            let ada = try await shop.buyer("ada@example.com")
            let first = try await shop.checkout([("A", 1)], token: ada).decoded(CheckoutView.self)
            #expect(try await shop.client.json("/v1/checkouts/\(first.id)/cancel", .post, token: ada).status == .ok)
            let second = try await shop.checkout([("A", 1)], token: ada).decoded(CheckoutView.self)
            #expect(try await shop.pay(checkout: second.id, amount: 100).decoded(PaymentReceipt.self).outcome == "paid")
            #expect(try await shop.pay(checkout: first.id, amount: 100).decoded(PaymentReceipt.self).outcome == "refund_needed")
            let refunds = try await shop.events(InventoryEvents.orderRefundNeeded)
            #expect(refunds.count == 1 && refunds[0].contains(first.orderId))
            try await shop.expectStockRebuildsFromMovements()
        }
    }
}
