@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
@testable import Inventory
import SQLKit
import Testing

/// The hot statements use their indexes on both engines: a checkout's catalogue read by SKU, the
/// reservation's lock and update (and
/// every other change of stock) find their rows by primary key, the expiry scan reads its index range in order, a buyer's order list walks
/// the owner index without sorting. On PostgreSQL the planner prefers a sequential scan of a
/// small table, so the check turns that off: it asks whether the index serves, not what a tiny
/// table costs.
@Suite struct QueryPlanTests {
    static func plan(_ statement: SQLQueryString, engine: DatabaseEngine, on database: any Database) async throws -> String {
        try await QueryPlan.of(statement, engine: engine, on: database)
    }

    @Test(arguments: DatabaseEngine.allCases)
    func reserveReleaseExpiredAndOrderListUseTheirIndexes(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            try await shop.product(["A", "B"], stock: 50)
            let ada = try await shop.buyer("ada@example.com")
            for _ in 0..<10 { _ = try await shop.checkout([("A", 1), ("B", 1)], token: ada) }
            let database = shop.server.platform.database
            let change = StockStore.Change(variantID: "var_x", sku: "A", locationID: "loc_x", kind: .reserved, onHand: 0, reserved: 1, actor: "t", reason: "t")
            let reserve = try await Self.plan(StockStore.applyStatement(change), engine: engine, on: database)
            #expect(reserve.contains(engine == .postgres ? "inventory_stock_pkey" : "sqlite_autoindex_inventory_stock_1"), "\(reserve)")
            #expect(!reserve.contains("Seq Scan") && !reserve.contains("SCAN inventory_stock"), "\(reserve)")

            // A batch of checkouts locks its rows and then reserves them, by primary key.
            let rows = [ReservationAllocation.Row(variantID: "var_a", locationID: "loc_x"), ReservationAllocation.Row(variantID: "var_b", locationID: "loc_x")]
            let lock = try await Self.plan(ReservationStore.lockStatement(rows, postgres: engine == .postgres), engine: engine, on: database)
            #expect(lock.contains(engine == .postgres ? "inventory_stock_pkey" : "sqlite_autoindex_inventory_stock_1"), "\(lock)")
            // The statement names its tables s, v and p: none is scanned whole.
            let scanned = lock.split(separator: "\n").filter { line in ["SCAN s", "SCAN v", "SCAN p"].contains { line.hasSuffix($0) || line.contains($0 + " ") } }
            #expect(!lock.contains("Seq Scan") && scanned.isEmpty, "\(lock)")
            let batch = engine == .postgres ? rows.map { (key: $0, value: 1) } : [(key: rows[0], value: 1)]
            let update = try await Self.plan(ReservationStore.reserveStatement(batch, postgres: engine == .postgres), engine: engine, on: database)
            #expect(update.contains(engine == .postgres ? "inventory_stock_pkey" : "sqlite_autoindex_inventory_stock_1"), "\(update)")
            #expect(!update.contains("Seq Scan") && !update.contains("SCAN inventory_stock"), "\(update)")

            // A checkout's catalogue read, when its node's cache misses: by SKU, then product.
            let forSale = try await Self.plan(CatalogueStore.variantsForSaleStatement(skus: ["A", "B"]), engine: engine, on: database)
            #expect(forSale.contains(engine == .postgres ? "inventory_variants_sku_key" : "sqlite_autoindex_inventory_variants_"), "\(forSale)")
            #expect(!forSale.contains("Seq Scan") && !forSale.contains("SCAN v") && !forSale.contains("SCAN p"), "\(forSale)")

            let expired = try await Self.plan(CheckoutStore.expiredStatement(before: Date(), limit: 100), engine: engine, on: database)
            #expect(expired.contains("inventory_checkouts_expiry"), "\(expired)")
            #expect(!expired.contains("Sort") && !expired.contains("TEMP B-TREE"), "\(expired)")

            let orders = try await Self.plan(CheckoutStore.ordersStatement(owner: "usr_x", limit: 51, after: nil), engine: engine, on: database)
            #expect(orders.contains("inventory_orders_owner"), "\(orders)")
            #expect(!orders.contains("Sort") && !orders.contains("TEMP B-TREE"), "\(orders)")
        }
    }
}
