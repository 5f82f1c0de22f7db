public import ApusCore
public import SQLKit

/// The plan a database would run a statement with, as text (`EXPLAIN` on PostgreSQL, `EXPLAIN
/// QUERY PLAN` on SQLite), for tests that assert which index serves a hot statement and that
/// nothing is sorted.
public enum QueryPlan {
    /// PostgreSQL with sequential scans off: asks whether an index can serve the statement, not
    /// what scanning a test's tiny table costs.
    public static let indexesOnly: [SQLQueryString] = ["SET LOCAL enable_seqscan = off"]

    /// `statement`'s plan, one line per step. On PostgreSQL `settings` run first in the same
    /// transaction (`SET LOCAL …`, or a `set_config` select), so they last for this plan only.
    public static func of(
        _ statement: SQLQueryString, engine: DatabaseEngine, on database: any Database, settings: [SQLQueryString] = indexesOnly
    ) async throws -> String {
        try await database.withTransaction { sql in
            if engine == .postgres {
                for setting in settings { _ = try await sql.raw(setting).all() }
            }
            let explain: SQLQueryString = engine == .postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN "
            return try await sql.raw(explain + statement).all().map { row in
                row.allColumns.compactMap { try? row.decode(column: $0, as: String.self) }.joined(separator: " ")
            }.joined(separator: "\n")
        }
    }
}
