@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Inventory
import Testing

/// Stock holds exactly under concurrent checkouts on both engines: no oversell, no deadlock
/// reaching a client, every cart all or nothing.
@Suite struct ConcurrencyTests {
    @Test(arguments: DatabaseEngine.allCases)
    func twoHundredBuyersForFiftyUnitsLeaveExactlyFiftyReservations(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["HOT"], stock: 50)
            let buyers = try await concurrently(4) { try await shop.buyer("buyer\($0)@example.com") }
            let statuses = try await concurrently(200) { index in
                try await shop.checkout([("HOT", 1)], token: buyers[index % buyers.count]).status
            }
            #expect(statuses.filter { $0 == .created }.count == 50)
            #expect(statuses.filter { $0 == .conflict }.count == 150)
            let stock = try await shop.stock("HOT")
            #expect(stock.onHand == 50 && stock.reserved == 50 && stock.available == 0)
            let held = try await shop.server.platform.database.read { sql in
                try await sql.raw("SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) AS n FROM inventory_checkout_lines l JOIN inventory_checkouts c ON c.id = l.checkout_id WHERE c.status = 'reserved'")
                    .first()!.decode(column: "n", as: Int.self)
            }
            #expect(held == 50)
            try await shop.expectStockRebuildsFromMovements()
            let metrics = String(buffer: try await shop.client.json("/metrics", .get).body)
            #expect(metrics.contains(#"apus_inventory_reservations_total{outcome="reserved"} 50"#), "\(metrics.split(separator: "\n").filter { $0.contains("inventory") })")
            #expect(metrics.contains(#"apus_inventory_reservations_total{outcome="insufficient"} 150"#))
            #expect(metrics.contains("apus_inventory_stock_outs_total 1"))
        }
    }

    /// Kept from an outside probe that found it held: buyers on two nodes of one database race
    /// for the same units and exactly as many are sold as there are. The lock timeout is longer
    /// here: this is about overselling, and a machine running every other test at once can hold
    /// a batch's row lock past the default 2 s through every retry (a 503, which
    /// `aLockHeldPastEveryRetryIsA503WithRetryAfter` covers). Three waits of 6 s stay inside the
    /// test client's 20 s read timeout, which a 30 s wait did not.
    @Test(arguments: DatabaseEngine.allCases)
    func fourHundredBuyersOnTwoNodesForFiftyUnitsLeaveExactlyFiftyReservations(engine: DatabaseEngine) async throws {
        try await Shop.onTwoNodes(engine: engine, settings: ["APUS_INVENTORY_LOCK_TIMEOUT": "6", "APUS_INVENTORY_CONFLICT_ATTEMPTS": "3"]) { shop, other in
            try await shop.product(["HOT"], stock: 50)
            let buyers = try await concurrently(4) { try await shop.buyer("buyer\($0)@example.com") }
            // A hundred in flight still race on both nodes; four hundred at once made the last
            // answers outlast the test client's 20 s read timeout on a machine running every test.
            let statuses = try await concurrently(400, inFlight: 100) { index in
                try await (index.isMultiple(of: 2) ? shop : other).checkout([("HOT", 1)], token: buyers[index % buyers.count]).status
            }
            #expect(statuses.filter { $0 == .created }.count == 50, "\(Dictionary(grouping: statuses, by: \.code).mapValues(\.count))")
            #expect(statuses.filter { $0 == .conflict }.count == 350)
            let stock = try await shop.stock("HOT")
            #expect(stock.onHand == 50 && stock.reserved == 50 && stock.available == 0)
            try await shop.expectStockRebuildsFromMovements()
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func cartsWithTheSameSKUsInOppositeOrdersNeverDeadlockAndStayAllOrNothing(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["X", "Y", "Z"], stock: 120)
            let ada = try await shop.buyer("ada@example.com")
            let forward = [("X", 1), ("Y", 1), ("Z", 1)]
            let backward = Array(forward.reversed())
            let results = try await concurrently(200) { index in
                let response = try await shop.checkout(index % 2 == 0 ? forward : backward, token: ada)
                return (response.status, String(buffer: response.body))
            }
            // 120 of each: 120 carts fit, 80 are refused whole.
            #expect(results.allSatisfy { $0.0 == .created || $0.0 == .conflict }, "\(results.filter { $0.0 != .created && $0.0 != .conflict }.prefix(3))")
            let reserved = results.filter { $0.0 == .created }.count
            #expect(reserved == 120)
            for sku in ["X", "Y", "Z"] {
                let stock = try await shop.stock(sku)
                #expect(stock.reserved == reserved, "\(sku)")
            }
            try await shop.expectStockRebuildsFromMovements()
        }
    }

    /// A stock row held longer than the lock timeout through every retry: PostgreSQL answers 503
    /// with Retry-After and reserves nothing; SQLite's single writer makes the checkout wait its
    /// turn instead.
    @Test(arguments: DatabaseEngine.allCases)
    func aLockHeldPastEveryRetryIsA503WithRetryAfter(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine, settings: ["APUS_INVENTORY_LOCK_TIMEOUT": "0.05", "APUS_INVENTORY_CONFLICT_ATTEMPTS": "2"]) { shop in
            try await shop.product(["A"], stock: 5)
            let ada = try await shop.buyer("ada@example.com")
            let (release, released) = AsyncStream<Void>.makeStream()
            let (locked, isLocked) = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await shop.server.platform.database.withTransaction { sql in
                    try await sql.raw("UPDATE inventory_stock SET on_hand = on_hand").run()
                    isLocked.yield()
                    for await _ in release { break }
                }
            }
            for await _ in locked { break }
            if engine == .postgres {
                let response = try await shop.checkout([("A", 1)], token: ada)
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                released.yield()
                try await holder.value
                #expect(try await shop.stock("A").reserved == 0)
                let metrics = String(buffer: try await shop.client.json("/metrics", .get).body)
                #expect(metrics.contains("apus_inventory_conflicts_retried_total 1"))
                #expect(metrics.contains(#"apus_inventory_reservations_total{outcome="conflict"} 1"#))
            } else {
                async let response = shop.checkout([("A", 1)], token: ada)
                released.yield()
                try await holder.value
                #expect(try await response.status == .created)
            }
        }
    }
}
