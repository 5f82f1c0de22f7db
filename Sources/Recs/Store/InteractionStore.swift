import ApusCore
import Foundation
import SQLKit

/// The SQL of interactions and item metadata.
struct InteractionStore: Sendable {
    /// Inserts `interactions`; one already stored (same user, item, kind and time) is kept once.
    /// Returns how many were new.
    func insert(_ interactions: [StoredInteraction], on sql: any SQLDatabase) async throws -> Int {
        var inserted = 0
        for chunk in stride(from: 0, to: interactions.count, by: 500) {
            var query = SQLQueryString("INSERT INTO recs_interactions (user_id, item_id, kind, weight, at) VALUES ")
            for (index, interaction) in interactions[chunk..<min(chunk + 500, interactions.count)].enumerated() {
                if index > 0 { query.appendLiteral(", ") }
                query.appendInterpolation(
                    "(\(bind: interaction.user), \(bind: interaction.item), \(bind: interaction.kind.rawValue), \(bind: interaction.weight), \(bind: interaction.at))" as SQLQueryString
                )
            }
            query.appendLiteral(" ON CONFLICT (user_id, item_id, kind, at) DO NOTHING RETURNING seq")
            inserted += try await sql.raw(query).all().count
        }
        return inserted
    }

    /// Every interaction: the extract step.
    func all(on sql: any SQLDatabase) async throws -> [StoredInteraction] {
        try await sql.raw("SELECT user_id, item_id, kind, weight, at FROM recs_interactions").all().map(Self.decode)
    }

    /// One user's interactions.
    func history(of user: String, on sql: any SQLDatabase) async throws -> [StoredInteraction] {
        try await sql.raw("SELECT user_id, item_id, kind, weight, at FROM recs_interactions WHERE user_id = \(bind: user)").all().map(Self.decode)
    }

    /// The distinct items `user` interacted with.
    func seenItems(of user: String, on sql: any SQLDatabase) async throws -> Set<String> {
        Set(try await sql.raw("SELECT DISTINCT item_id FROM recs_interactions WHERE user_id = \(bind: user)").all().map {
            try $0.decode(column: "item_id", as: String.self)
        })
    }

    func count(on sql: any SQLDatabase) async throws -> Int {
        try await sql.raw("SELECT COUNT(*) AS n FROM recs_interactions").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Sets an item's metadata.
    func upsert(_ item: ItemMetadata, on sql: any SQLDatabase) async throws {
        let tags = String(decoding: try APIJSON.encoder.encode(item.tags ?? []), as: UTF8.self)
        try await sql.raw("""
            INSERT INTO recs_items (item_id, category, tags, created_at)
            VALUES (\(bind: item.item), \(bind: item.category), \(bind: tags), \(bind: item.createdAt?.epochMilliseconds))
            ON CONFLICT (item_id) DO UPDATE SET category = excluded.category, tags = excluded.tags, created_at = excluded.created_at
            """).run()
    }

    /// The categories of `items` that have one.
    func categories(of items: [String], on sql: any SQLDatabase) async throws -> [String: String] {
        guard !items.isEmpty else { return [:] }
        var query = SQLQueryString("SELECT item_id, category FROM recs_items WHERE category IS NOT NULL AND item_id IN (")
        for (index, item) in items.enumerated() {
            if index > 0 { query.appendLiteral(", ") }
            query.appendInterpolation(bind: item)
        }
        query.appendLiteral(")")
        var categories: [String: String] = [:]
        for row in try await sql.raw(query).all() {
            categories[try row.decode(column: "item_id", as: String.self)] = try row.decode(column: "category", as: String.self)
        }
        return categories
    }

    private static func decode(_ row: any SQLRow) throws -> StoredInteraction {
        StoredInteraction(
            user: try row.decode(column: "user_id", as: String.self), item: try row.decode(column: "item_id", as: String.self),
            kind: InteractionKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .view,
            weight: try row.decode(column: "weight", as: Double.self), at: try row.decode(column: "at", as: Int64.self)
        )
    }
}

/// What a client says about an item, for filters and cold start.
struct ItemMetadata: Codable, Sendable {
    var item: String
    var category: String?
    var tags: [String]?
    var createdAt: Date?
}
