import ApusCore
import Foundation
import SQLKit

/// The SQL of the extract step: per-pair totals of every interaction extracted so far, and
/// where in the interactions' commit order the last extract stopped.
struct PairStore: Sendable {
    /// Where the extract stands and the half-life its decayed totals were summed with.
    struct ExtractState: Sendable, Equatable {
        var position: CommitPosition
        var halfLife: Double?
        var interactions: Int64
    }

    /// The state, locked against another extract until the transaction ends (on PostgreSQL;
    /// SQLite has one writer).
    func state(lockingIn sql: any SQLDatabase) async throws -> ExtractState {
        let lock: SQLQueryString = sql.dialect.name == "postgresql" ? " FOR UPDATE" : ""
        guard let row = try await sql.raw("SELECT position, half_life, interactions FROM recs_extract WHERE slot = 1\(lock)").first() else {
            try await sql.raw("""
                INSERT INTO recs_extract (slot, position, half_life, interactions) VALUES (1, \(bind: try RecsJSON.string(CommitPosition.start)), NULL, 0)
                ON CONFLICT (slot) DO NOTHING
                """).run()
            return try await state(lockingIn: sql)
        }
        return ExtractState(
            position: try RecsJSON.decode(CommitPosition.self, try row.decode(column: "position", as: String.self)),
            halfLife: try row.decode(column: "half_life", as: Double?.self),
            interactions: try row.decode(column: "interactions", as: Int64.self)
        )
    }

    func save(_ state: ExtractState, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            UPDATE recs_extract SET position = \(bind: try RecsJSON.string(state.position)), half_life = \(bind: state.halfLife),
                interactions = \(bind: state.interactions)
            WHERE slot = 1
            """).run()
    }

    /// Forgets every total: the next extract starts from the first interaction.
    func reset(on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM recs_pairs").run()
    }

    /// The stored totals of `keys` that have one.
    func totals(of keys: [PairKey], on sql: any SQLDatabase) async throws -> [PairKey: PairTotal] {
        var found: [PairKey: PairTotal] = [:]
        for chunk in stride(from: 0, to: keys.count, by: 500) {
            var query = SQLQueryString("SELECT user_id, item_id, weight, decayed, at FROM recs_pairs WHERE (user_id, item_id) IN (VALUES ")
            for (index, key) in keys[chunk..<min(chunk + 500, keys.count)].enumerated() {
                if index > 0 { query.appendLiteral(", ") }
                query.appendInterpolation("(\(bind: key.user), \(bind: key.item))" as SQLQueryString)
            }
            query.appendLiteral(")")
            for row in try await sql.raw(query).all() {
                let (key, total) = try Self.decode(row)
                found[key] = total
            }
        }
        return found
    }

    /// Writes `totals`, replacing those stored for the same pairs.
    func write(_ totals: [PairKey: PairTotal], on sql: any SQLDatabase) async throws {
        let all = Array(totals)
        for chunk in stride(from: 0, to: all.count, by: 500) {
            var query = SQLQueryString("INSERT INTO recs_pairs (user_id, item_id, weight, decayed, at) VALUES ")
            for (index, (key, total)) in all[chunk..<min(chunk + 500, all.count)].enumerated() {
                if index > 0 { query.appendLiteral(", ") }
                query.appendInterpolation(
                    "(\(bind: key.user), \(bind: key.item), \(bind: total.weight), \(bind: total.decayed), \(bind: total.at))" as SQLQueryString
                )
            }
            query.appendLiteral("""
                 ON CONFLICT (user_id, item_id) DO UPDATE SET weight = excluded.weight, decayed = excluded.decayed, at = excluded.at
                """)
            try await sql.raw(query).run()
        }
    }

    /// Every total: what the transform step reads.
    func all(on sql: any SQLDatabase) async throws -> [(key: PairKey, total: PairTotal)] {
        try await sql.raw("SELECT user_id, item_id, weight, decayed, at FROM recs_pairs").all().map(Self.decode)
    }

    private static func decode(_ row: any SQLRow) throws -> (key: PairKey, total: PairTotal) {
        (
            PairKey(user: try row.decode(column: "user_id", as: String.self), item: try row.decode(column: "item_id", as: String.self)),
            PairTotal(
                weight: try row.decode(column: "weight", as: Double.self), decayed: try row.decode(column: "decayed", as: Double.self),
                at: try row.decode(column: "at", as: Int64.self)
            )
        )
    }
}
