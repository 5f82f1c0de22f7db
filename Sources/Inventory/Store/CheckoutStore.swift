import ApusCore
import Foundation
import SQLKit

/// Checkouts, their lines and the orders they become.
struct CheckoutStore: Sendable {
    /// A checkout line as stored, with the variant it locks.
    struct StoredLine: Sendable {
        var variantID: String
        var line: CheckoutLine
    }

    /// A checkout as the services work on it.
    struct Record: Sendable {
        var checkout: Checkout
        var locationID: String
        var lines: [StoredLine]
    }

    func insert(_ record: Record, order: Order, idempotencyKey: String?, on sql: any SQLDatabase) async throws {
        let checkout = record.checkout
        try await sql.raw("""
            INSERT INTO inventory_checkouts (id, owner_id, location_id, status, amount, currency, expires_at, idempotency_key, created_at, updated_at)
            VALUES (\(bind: checkout.id), \(bind: checkout.ownerId), \(bind: record.locationID), \(bind: checkout.status.rawValue),
                    \(bind: checkout.amount), \(bind: checkout.currency), \(bind: checkout.expiresAt.epochMilliseconds), \(bind: idempotencyKey),
                    \(bind: Timestamp.format(checkout.createdAt)), \(bind: Timestamp.format(checkout.createdAt)))
            """).run()
        for stored in record.lines {
            try await sql.raw("""
                INSERT INTO inventory_checkout_lines (checkout_id, variant_id, sku, quantity, unit_price)
                VALUES (\(bind: checkout.id), \(bind: stored.variantID), \(bind: stored.line.sku), \(bind: stored.line.quantity), \(bind: stored.line.unitPrice))
                """).run()
        }
        try await sql.raw("""
            INSERT INTO inventory_orders (id, checkout_id, owner_id, status, fulfilment, amount, currency, created_at, updated_at)
            VALUES (\(bind: order.id), \(bind: checkout.id), \(bind: order.ownerId), \(bind: order.status.rawValue), \(bind: order.fulfilment.rawValue),
                    \(bind: order.amount), \(bind: order.currency), \(bind: Timestamp.format(order.createdAt)), \(bind: Timestamp.format(order.updatedAt)))
            """).run()
    }

    /// The checkout `id`; with `locking`, its row stays locked until the transaction ends (on
    /// PostgreSQL; SQLite's write transactions already run one at a time), so a decision made on
    /// its status cannot be overtaken by a cancel or an expiry committing meanwhile.
    func checkout(id: String, locking: Bool = false, on sql: any SQLDatabase) async throws -> Record? {
        let lock: SQLQueryString = locking && sql.dialect.name == "postgresql" ? " FOR UPDATE OF c" : ""
        guard let row = try await sql.raw("""
            SELECT c.id AS id, c.owner_id AS owner_id, c.location_id AS location_id, l.code AS code, c.status AS status,
                   c.amount AS amount, c.currency AS currency, c.expires_at AS expires_at, c.created_at AS created_at, o.id AS order_id
            FROM inventory_checkouts c JOIN inventory_locations l ON l.id = c.location_id JOIN inventory_orders o ON o.checkout_id = c.id
            WHERE c.id = \(bind: id)\(lock)
            """).first()
        else { return nil }
        let lines = try await self.lines(checkoutID: id, on: sql)
        let checkout = Checkout(
            id: try row.decode(column: "id", as: String.self),
            orderId: try row.decode(column: "order_id", as: String.self),
            ownerId: try row.decode(column: "owner_id", as: String.self),
            status: CheckoutStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .released,
            location: try row.decode(column: "code", as: String.self),
            lines: lines.map(\.line),
            amount: try row.decode(column: "amount", as: Int.self),
            currency: try row.decode(column: "currency", as: String.self),
            expiresAt: Date(epochMilliseconds: try row.decode(column: "expires_at", as: Int64.self)),
            createdAt: Timestamp.parse(try row.decode(column: "created_at", as: String.self)) ?? .distantPast
        )
        return Record(checkout: checkout, locationID: try row.decode(column: "location_id", as: String.self), lines: lines)
    }

    /// The checkout `owner` made with `key`.
    func checkout(owner: String, idempotencyKey key: String, on sql: any SQLDatabase) async throws -> Record? {
        guard let id = try await sql.raw("""
            SELECT id FROM inventory_checkouts WHERE owner_id = \(bind: owner) AND idempotency_key = \(bind: key)
            """).first()?.decode(column: "id", as: String.self)
        else { return nil }
        return try await checkout(id: id, on: sql)
    }

    /// A checkout's lines in lock order (by variant id).
    func lines(checkoutID: String, on sql: any SQLDatabase) async throws -> [StoredLine] {
        try await sql.raw("""
            SELECT variant_id, sku, quantity, unit_price, returned FROM inventory_checkout_lines
            WHERE checkout_id = \(bind: checkoutID) ORDER BY variant_id
            """).all().map { row in
            StoredLine(
                variantID: try row.decode(column: "variant_id", as: String.self),
                line: CheckoutLine(
                    sku: try row.decode(column: "sku", as: String.self), quantity: try row.decode(column: "quantity", as: Int.self),
                    unitPrice: try row.decode(column: "unit_price", as: Int.self), returned: try row.decode(column: "returned", as: Int.self)
                )
            )
        }
    }

    /// Moves a checkout from `from` to `to`; `false` when it was no longer in `from`. The
    /// condition makes every transition happen once, however many nodes race for it.
    func transition(_ id: String, from: CheckoutStatus, to: CheckoutStatus, at now: Date, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("""
            UPDATE inventory_checkouts SET status = \(bind: to.rawValue), updated_at = \(bind: Timestamp.format(now))
            WHERE id = \(bind: id) AND status = \(bind: from.rawValue) RETURNING id
            """).first() != nil
    }

    /// Ids of reserved checkouts whose hold ran out by `now`, oldest first.
    func expired(before now: Date, limit: Int, on sql: any SQLDatabase) async throws -> [String] {
        try await sql.raw(Self.expiredStatement(before: now, limit: limit)).all().map { try $0.decode(column: "id", as: String.self) }
    }

    /// The expiry job's scan: a range of the `(status, expires_at)` index, in its order.
    static func expiredStatement(before now: Date, limit: Int) -> SQLQueryString {
        """
        SELECT id FROM inventory_checkouts WHERE status = 'reserved' AND expires_at <= \(bind: now.epochMilliseconds)
        ORDER BY expires_at LIMIT \(bind: limit)
        """
    }


    // MARK: Orders

    func order(id: String, on sql: any SQLDatabase) async throws -> Order? {
        guard let row = try await sql.raw("SELECT \(unsafeRaw: Self.orderColumns) FROM inventory_orders WHERE id = \(bind: id)").first() else { return nil }
        return try await order(from: row, on: sql)
    }

    func order(checkoutID: String, on sql: any SQLDatabase) async throws -> Order? {
        guard let row = try await sql.raw("SELECT \(unsafeRaw: Self.orderColumns) FROM inventory_orders WHERE checkout_id = \(bind: checkoutID)").first() else { return nil }
        return try await order(from: row, on: sql)
    }

    /// A page of orders by id: `owner`'s, or everyone's when `nil`.
    func orders(owner: String?, limit: Int, after cursor: String?, on sql: any SQLDatabase) async throws -> [Order] {
        let rows = try await sql.raw(Self.ordersStatement(owner: owner, limit: limit, after: cursor)).all()
        var orders: [Order] = []
        for row in rows { orders.append(try await order(from: row, on: sql)) }
        return orders
    }

    /// A buyer's orders walk the `(owner_id, id)` index; staff's the primary key.
    static func ordersStatement(owner: String?, limit: Int, after cursor: String?) -> SQLQueryString {
        if let owner {
            return """
                SELECT \(unsafeRaw: orderColumns) FROM inventory_orders
                WHERE owner_id = \(bind: owner) AND id > \(bind: cursor ?? "") ORDER BY id LIMIT \(bind: limit)
                """
        }
        return """
            SELECT \(unsafeRaw: orderColumns) FROM inventory_orders WHERE id > \(bind: cursor ?? "") ORDER BY id LIMIT \(bind: limit)
            """
    }

    /// Sets an order's status if it is one of `from`; `false` otherwise.
    func setStatus(order id: String, from: [OrderStatus], to: OrderStatus, paymentID: String? = nil, at now: Date, on sql: any SQLDatabase) async throws -> Bool {
        let allowed = SQLList(from.map { SQLBind($0.rawValue) })
        return try await sql.raw("""
            UPDATE inventory_orders SET status = \(bind: to.rawValue), payment_id = COALESCE(\(bind: paymentID), payment_id),
                updated_at = \(bind: Timestamp.format(now))
            WHERE id = \(bind: id) AND status IN (\(allowed)) RETURNING id
            """).first() != nil
    }

    func setFulfilment(order id: String, to status: FulfilmentStatus, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            UPDATE inventory_orders SET fulfilment = \(bind: status.rawValue), updated_at = \(bind: Timestamp.format(now)) WHERE id = \(bind: id)
            """).run()
    }

    /// Counts `quantity` more units of a line as returned, if no more than were sold come back.
    func addReturned(checkoutID: String, variantID: String, quantity: Int, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("""
            UPDATE inventory_checkout_lines SET returned = returned + \(bind: quantity)
            WHERE checkout_id = \(bind: checkoutID) AND variant_id = \(bind: variantID) AND returned + \(bind: quantity) <= quantity
            RETURNING returned
            """).first() != nil
    }

    static let orderColumns = "id, checkout_id, owner_id, status, fulfilment, amount, currency, payment_id, created_at, updated_at"

    private func order(from row: any SQLRow, on sql: any SQLDatabase) async throws -> Order {
        let checkoutID = try row.decode(column: "checkout_id", as: String.self)
        return Order(
            id: try row.decode(column: "id", as: String.self),
            checkoutId: checkoutID,
            ownerId: try row.decode(column: "owner_id", as: String.self),
            status: OrderStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .canceled,
            fulfilment: FulfilmentStatus(rawValue: try row.decode(column: "fulfilment", as: String.self)) ?? .unfulfilled,
            amount: try row.decode(column: "amount", as: Int.self),
            currency: try row.decode(column: "currency", as: String.self),
            lines: try await lines(checkoutID: checkoutID, on: sql).map(\.line),
            paymentId: try row.decode(column: "payment_id", as: String?.self),
            createdAt: Timestamp.parse(try row.decode(column: "created_at", as: String.self)) ?? .distantPast,
            updatedAt: Timestamp.parse(try row.decode(column: "updated_at", as: String.self)) ?? .distantPast
        )
    }

    // MARK: Payment events

    /// Records a provider event id; `false` when it was seen before (a redelivery).
    func recordPaymentEvent(id: String, type: String, checkoutID: String?, at now: Date, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("""
            INSERT INTO inventory_payment_events (event_id, type, checkout_id, outcome, received_at)
            VALUES (\(bind: id), \(bind: type), \(bind: checkoutID), 'received', \(bind: Timestamp.format(now)))
            ON CONFLICT (event_id) DO NOTHING RETURNING event_id
            """).first() != nil
    }

    func setPaymentOutcome(id: String, _ outcome: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE inventory_payment_events SET outcome = \(bind: outcome) WHERE event_id = \(bind: id)").run()
    }
}
