import ApusCore
import Foundation
import SQLKit

/// Stock rows and their movements. Every function that changes `inventory_stock` writes the
/// movement that explains it in the same transaction, and every decrement is a conditional
/// update, so stock never goes below zero on either engine, whoever runs concurrently.
struct StockStore: Sendable {
    /// One change to write: which row, by how much, and why.
    struct Change: Sendable {
        var variantID: String
        var sku: String
        var locationID: String
        var kind: MovementKind
        var onHand: Int
        var reserved: Int
        var actor: String
        var reason: String
        var reference: String?
    }

    /// Adds `change` to on hand (and reserved) if the row stays valid: on hand never below
    /// reserved, reserved never below zero. Creates the row when it is missing and the change
    /// only adds. Returns the row after the change, or `nil` when it would go negative.
    func apply(_ change: Change, at now: Date, on sql: any SQLDatabase) async throws -> StockLevel? {
        if change.onHand >= 0, change.reserved == 0 {
            try await sql.raw("""
                INSERT INTO inventory_stock (variant_id, location_id, on_hand, reserved)
                VALUES (\(bind: change.variantID), \(bind: change.locationID), 0, 0)
                ON CONFLICT (variant_id, location_id) DO NOTHING
                """).run()
        }
        guard let row = try await sql.raw(Self.applyStatement(change)).first() else { return nil }
        try await record(change, at: now, on: sql)
        return StockLevel(location: change.locationID, onHand: try row.decode(column: "on_hand", as: Int.self), reserved: try row.decode(column: "reserved", as: Int.self))
    }

    /// The conditional update behind every change of stock (the reservation's hot statement):
    /// one row by primary key, changed only if it stays valid.
    static func applyStatement(_ change: Change) -> SQLQueryString {
        """
        UPDATE inventory_stock SET on_hand = on_hand + \(bind: change.onHand), reserved = reserved + \(bind: change.reserved)
        WHERE variant_id = \(bind: change.variantID) AND location_id = \(bind: change.locationID)
          AND on_hand + \(bind: change.onHand) >= reserved + \(bind: change.reserved)
          AND reserved + \(bind: change.reserved) >= 0
        RETURNING on_hand, reserved
        """
    }

    /// Writes the movement of `change`.
    func record(_ change: Change, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO inventory_movements (id, variant_id, location_id, kind, on_hand_delta, reserved_delta, actor, reason, reference, created_at)
            VALUES (\(bind: OpaqueID.make("mov", at: now)), \(bind: change.variantID), \(bind: change.locationID), \(bind: change.kind.rawValue),
                    \(bind: change.onHand), \(bind: change.reserved), \(bind: change.actor), \(bind: change.reason), \(bind: change.reference),
                    \(bind: Timestamp.format(now)))
            """).run()
    }

    /// Units of a variant still free at a location (0 when it never had stock there).
    func available(variantID: String, locationID: String, on sql: any SQLDatabase) async throws -> Int {
        try await sql.raw("""
            SELECT on_hand - reserved AS available FROM inventory_stock WHERE variant_id = \(bind: variantID) AND location_id = \(bind: locationID)
            """).first()?.decode(column: "available", as: Int.self) ?? 0
    }

    /// Units of a variant free over every location.
    func totalAvailable(variantID: String, on sql: any SQLDatabase) async throws -> Int {
        try await sql.raw("""
            SELECT CAST(COALESCE(SUM(on_hand - reserved), 0) AS BIGINT) AS available FROM inventory_stock WHERE variant_id = \(bind: variantID)
            """).first()?.decode(column: "available", as: Int.self) ?? 0
    }

    /// A variant's stock per location, by location code.
    func levels(variantID: String, on sql: any SQLDatabase) async throws -> [StockLevel] {
        try await sql.raw("""
            SELECT l.code AS code, s.on_hand AS on_hand, s.reserved AS reserved
            FROM inventory_stock s JOIN inventory_locations l ON l.id = s.location_id
            WHERE s.variant_id = \(bind: variantID) ORDER BY l.code
            """).all().map { row in
            StockLevel(location: try row.decode(column: "code", as: String.self), onHand: try row.decode(column: "on_hand", as: Int.self), reserved: try row.decode(column: "reserved", as: Int.self))
        }
    }

    /// A page of a variant's movements, oldest first.
    func movements(variantID: String, sku: String, limit: Int, after cursor: String?, on sql: any SQLDatabase) async throws -> [Movement] {
        try await sql.raw("""
            SELECT m.id AS id, l.code AS code, m.kind AS kind, m.on_hand_delta AS on_hand_delta, m.reserved_delta AS reserved_delta,
                   m.actor AS actor, m.reason AS reason, m.reference AS reference, m.created_at AS created_at
            FROM inventory_movements m JOIN inventory_locations l ON l.id = m.location_id
            WHERE m.variant_id = \(bind: variantID) AND m.id > \(bind: cursor ?? "")
            ORDER BY m.id LIMIT \(bind: limit)
            """).all().map { row in
            Movement(
                id: try row.decode(column: "id", as: String.self), sku: sku,
                location: try row.decode(column: "code", as: String.self),
                kind: MovementKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .adjusted,
                onHandDelta: try row.decode(column: "on_hand_delta", as: Int.self),
                reservedDelta: try row.decode(column: "reserved_delta", as: Int.self),
                actor: try row.decode(column: "actor", as: String.self),
                reason: try row.decode(column: "reason", as: String.self),
                reference: try row.decode(column: "reference", as: String?.self),
                createdAt: Timestamp.parse(try row.decode(column: "created_at", as: String.self)) ?? .distantPast
            )
        }
    }
}
