import ApusCore
import Foundation
import SQLKit

/// The SQL of a batch of checkouts, in as few round trips as the engine allows. Rows that do
/// not touch stock are written first; the stock rows are locked (in the global order) only
/// after that, so the hot row's lock spans the lock, the update and the commit, nothing more.
/// PostgreSQL gets each step as one statement (data-modifying CTEs, multi-row VALUES); SQLite,
/// in-process behind its single writer, runs plain statements.
struct ReservationStore: Sendable {
    typealias Row = ReservationAllocation.Row

    /// Writes the checkouts, lines, orders and movements of `batch`; the stock is not touched.
    func insert(_ batch: [PendingReservation], on sql: any SQLDatabase) async throws {
        let statements = Self.insertStatements(batch)
        if Self.isPostgres(sql) {
            // One statement: the CTEs all run, and the foreign keys are checked at its end.
            try await sql.raw("WITH c AS (\(statements.checkouts)), l AS (\(statements.lines)), o AS (\(statements.orders)) \(statements.movements)").run()
        } else {
            for statement in [statements.checkouts, statements.lines, statements.orders, statements.movements] { try await sql.raw(statement).run() }
        }
    }

    /// What a variant sells for as committed, read with its stock rows' lock.
    struct SaleTerms: Sendable, Equatable {
        var price: Int
        var currency: String
        var published: Bool
    }

    /// Locks `rows` in the global order and returns the units each has free, with the committed
    /// sale terms of each row's variant. A row that does not exist has none (and is absent from
    /// the answer).
    func lock(_ rows: [Row], on sql: any SQLDatabase) async throws -> (available: [Row: Int], terms: [String: SaleTerms]) {
        var free: [Row: Int] = [:]
        var terms: [String: SaleTerms] = [:]
        for row in try await sql.raw(Self.lockStatement(rows.sorted(), postgres: Self.isPostgres(sql))).all() {
            let key = Row(variantID: try row.decode(column: "variant_id", as: String.self), locationID: try row.decode(column: "location_id", as: String.self))
            free[key] = try row.decode(column: "available", as: Int.self)
            terms[key.variantID] = SaleTerms(
                price: try row.decode(column: "price", as: Int.self), currency: try row.decode(column: "currency", as: String.self),
                published: try row.decode(column: "published", as: Int.self) != 0
            )
        }
        return (free, terms)
    }

    /// The lock: `ORDER BY` is applied before `FOR UPDATE`, so the rows are locked in that order
    /// and two batches sharing rows wait for each other instead of deadlocking. SQLite's writer
    /// already holds the database. The variant's price and its product's published flag come
    /// with it (by primary key, locking neither), so a checkout charges the committed terms even
    /// when its node's cache has not yet heard of a change.
    static func lockStatement(_ rows: [Row], postgres: Bool) -> SQLQueryString {
        // PostgreSQL reads a list of row values as index probes; SQLite takes them as VALUES.
        let keys = rows.map { "(\(bind: $0.variantID), \(bind: $0.locationID))" as SQLQueryString }.joined(separator: ", ")
        return """
            SELECT s.variant_id AS variant_id, s.location_id AS location_id, s.on_hand - s.reserved AS available,
                   v.price AS price, v.currency AS currency, p.published AS published
            FROM inventory_stock s JOIN inventory_variants v ON v.id = s.variant_id JOIN inventory_products p ON p.id = v.product_id
            WHERE (s.variant_id, s.location_id) IN (\(unsafeRaw: postgres ? "" : "VALUES ")\(keys))
            ORDER BY s.variant_id, s.location_id\(unsafeRaw: postgres ? " FOR UPDATE OF s" : "")
            """
    }

    /// Adds `taken` to the reserved units of the rows (all locked by this transaction) and
    /// returns what each row has free afterwards.
    func reserve(_ taken: [Row: Int], on sql: any SQLDatabase) async throws -> [Row: Int] {
        let rows = taken.sorted { $0.key < $1.key }
        var free: [Row: Int] = [:]
        let postgres = Self.isPostgres(sql)
        let statements = postgres ? [Self.reserveStatement(rows, postgres: true)] : rows.map { Self.reserveStatement([$0], postgres: false) }
        for statement in statements {
            for row in try await sql.raw(statement).all() {
                let key = Row(variantID: try row.decode(column: "variant_id", as: String.self), locationID: try row.decode(column: "location_id", as: String.self))
                free[key] = try row.decode(column: "available", as: Int.self)
            }
        }
        // The condition cannot fail under the lock; if it did, the stock and the decision disagree.
        guard free.count == rows.count else { throw InventoryInvariantBroken(detail: "a reserved stock row changed under its lock") }
        return free
    }

    /// The batch's stock update, every row by primary key and still conditional, so stock can
    /// never go below zero whatever the caller decided: on PostgreSQL one statement over a
    /// VALUES list, on SQLite (which names no columns of a VALUES list) one row per statement.
    static func reserveStatement(_ rows: [(key: Row, value: Int)], postgres: Bool) -> SQLQueryString {
        guard postgres else {
            precondition(rows.count == 1, "SQLite reserves one row per statement")
            let (row, quantity) = rows[0]
            return """
                UPDATE inventory_stock SET reserved = reserved + \(bind: quantity)
                WHERE variant_id = \(bind: row.variantID) AND location_id = \(bind: row.locationID) AND on_hand >= reserved + \(bind: quantity)
                RETURNING variant_id, location_id, on_hand - reserved AS available
                """
        }
        let values = rows.map { "(\(bind: $0.key.variantID), \(bind: $0.key.locationID), \(bind: $0.value))" as SQLQueryString }.joined(separator: ", ")
        return """
            UPDATE inventory_stock AS s SET reserved = s.reserved + d.quantity
            FROM (VALUES \(values)) AS d (variant_id, location_id, quantity)
            WHERE s.variant_id = d.variant_id AND s.location_id = d.location_id AND s.on_hand >= s.reserved + d.quantity
            RETURNING s.variant_id AS variant_id, s.location_id AS location_id, s.on_hand - s.reserved AS available
            """
    }

    /// Deletes what `insert` wrote for checkouts the stock could not hold (children first).
    func discard(_ refused: [PendingReservation], on sql: any SQLDatabase) async throws {
        guard !refused.isEmpty else { return }
        let checkouts = SQLList(refused.map { SQLBind($0.record.checkout.id) })
        let movements = SQLList(refused.flatMap(\.movementIDs).map { SQLBind($0) })
        try await sql.raw("DELETE FROM inventory_movements WHERE id IN (\(movements))").run()
        try await sql.raw("DELETE FROM inventory_checkout_lines WHERE checkout_id IN (\(checkouts))").run()
        try await sql.raw("DELETE FROM inventory_orders WHERE checkout_id IN (\(checkouts))").run()
        try await sql.raw("DELETE FROM inventory_checkouts WHERE id IN (\(checkouts))").run()
    }

    /// The four multi-row inserts of a batch.
    static func insertStatements(_ batch: [PendingReservation]) -> (checkouts: SQLQueryString, lines: SQLQueryString, orders: SQLQueryString, movements: SQLQueryString) {
        let checkouts = batch.map { pending -> SQLQueryString in
            let checkout = pending.record.checkout
            let created = Timestamp.format(checkout.createdAt)
            return """
                (\(bind: checkout.id), \(bind: checkout.ownerId), \(bind: pending.record.locationID), \(bind: checkout.status.rawValue), \(bind: checkout.amount),
                 \(bind: checkout.currency), \(bind: checkout.expiresAt.epochMilliseconds), \(bind: pending.idempotencyKey), \(bind: created), \(bind: created))
                """
        }.joined(separator: ", ")
        let lines = batch.flatMap { pending in
            pending.record.lines.map { stored -> SQLQueryString in
                "(\(bind: pending.record.checkout.id), \(bind: stored.variantID), \(bind: stored.line.sku), \(bind: stored.line.quantity), \(bind: stored.line.unitPrice))"
            }
        }.joined(separator: ", ")
        let orders = batch.map { pending -> SQLQueryString in
            let order = pending.order
            return """
                (\(bind: order.id), \(bind: order.checkoutId), \(bind: order.ownerId), \(bind: order.status.rawValue), \(bind: order.fulfilment.rawValue),
                 \(bind: order.amount), \(bind: order.currency), \(bind: Timestamp.format(order.createdAt)), \(bind: Timestamp.format(order.updatedAt)))
                """
        }.joined(separator: ", ")
        let movements = batch.flatMap { pending in
            zip(pending.record.lines, pending.movementIDs).map { stored, id -> SQLQueryString in
                let checkout = pending.record.checkout
                return """
                    (\(bind: id), \(bind: stored.variantID), \(bind: pending.record.locationID), \(bind: MovementKind.reserved.rawValue), 0, \(bind: stored.line.quantity),
                     \(bind: checkout.ownerId), 'checkout', \(bind: checkout.id), \(bind: Timestamp.format(checkout.createdAt)))
                    """
            }
        }.joined(separator: ", ")
        return (
            "INSERT INTO inventory_checkouts (id, owner_id, location_id, status, amount, currency, expires_at, idempotency_key, created_at, updated_at) VALUES \(checkouts)",
            "INSERT INTO inventory_checkout_lines (checkout_id, variant_id, sku, quantity, unit_price) VALUES \(lines)",
            "INSERT INTO inventory_orders (id, checkout_id, owner_id, status, fulfilment, amount, currency, created_at, updated_at) VALUES \(orders)",
            "INSERT INTO inventory_movements (id, variant_id, location_id, kind, on_hand_delta, reserved_delta, actor, reason, reference, created_at) VALUES \(movements)"
        )
    }

    private static func isPostgres(_ sql: any SQLDatabase) -> Bool { sql.dialect.name == "postgresql" }
}
