import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Inventory
import Testing

@Suite struct ExpiryTests {
    @Test(arguments: DatabaseEngine.allCases)
    func anUnpaidReservationIsReleasedOnceWhenItsTimeRunsOut(engine: DatabaseEngine) async throws {
        let clock = TestClock()
        try await Shop.with(engine: engine, clock: clock, settings: ["APUS_INVENTORY_RESERVATION_TTL": "60"]) { shop in
            try await shop.product(["A"], stock: 5)
            let ada = try await shop.buyer("ada@example.com")
            let checkout = try await shop.checkout([("A", 2)], token: ada).decoded(CheckoutView.self)
            #expect(checkout.expiresAt.timeIntervalSince(shop.server.platform.now()) <= 60)
            let service = try shop.service()
            #expect(try await service.releaseExpired(now: clock.now()) == 0)
            clock.advance(by: 61)
            // Two sweeps at once (two nodes): the hold is released once.
            let released = try await concurrently(4) { _ in try await service.releaseExpired(now: clock.now()) }
            #expect(released.reduce(0, +) == 1)
            #expect(try await shop.stock("A").reserved == 0)
            let view = try await shop.client.json("/v1/checkouts/\(checkout.id)", .get, token: ada).decoded(CheckoutView.self)
            #expect(view.status == "expired")
            #expect(try await shop.client.json("/v1/orders/\(checkout.orderId)", .get, token: ada).decoded(OrderView.self).status == "expired")
            #expect(try await shop.events(InventoryEvents.reservationExpired).count == 1)
            try await shop.expectStockRebuildsFromMovements()
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func twoNodesSweepingManyExpiredHoldsReleaseEachExactlyOnce(engine: DatabaseEngine) async throws {
        try await Shop.onTwoNodes(engine: engine) { shop, other in
            try await shop.product(["A", "B"], stock: 300)
            let ada = try await shop.buyer("ada@example.com")
            let ids = try await concurrently(120) { index in
                try await shop.checkout(index % 2 == 0 ? [("A", 1), ("B", 2)] : [("B", 1)], token: ada).decoded(CheckoutView.self).id
            }
            #expect(Set(ids).count == 120)
            let later = Date().addingTimeInterval(3600)
            let nodes = [
                InventoryService(platform: shop.server.platform, settings: try InventorySettings(Settings([:]))),
                InventoryService(platform: other.server.platform, settings: try InventorySettings(Settings([:]))),
            ]
            let released = try await concurrently(4) { index in try await nodes[index % 2].releaseExpired(now: later) }
            #expect(released.reduce(0, +) == 120)
            #expect(try await shop.stock("A").reserved == 0)
            #expect(try await shop.stock("B").reserved == 0)
            #expect(try await shop.stock("B").onHand == 300)
            #expect(try await shop.events(InventoryEvents.reservationExpired).count == 120)
            try await shop.expectStockRebuildsFromMovements()
        }
    }
}
