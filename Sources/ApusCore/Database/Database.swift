public import Logging
public import Prometheus
public import SQLKit

/// The SQL engines Apus runs on.
public enum DatabaseEngine: String, Sendable, CaseIterable {
    case sqlite
    case postgres
}

/// The database every module shares: pooled connections, scoped transactions, one SQL dialect
/// layer (SQLKit) over SQLite and PostgreSQL.
///
/// Closures receive an `SQLDatabase` pinned to one connection for their whole run, so
/// statements inside a transaction all see the same transaction.
public protocol Database: Sendable {
    /// Which engine answers.
    var engine: DatabaseEngine { get }

    /// Runs `body` on a connection for reading. On SQLite this is one of the reader connections,
    /// which never wait for the writer.
    func read<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result

    /// Runs `body` on a connection that may write; each statement commits on its own.
    func write<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    func withTransaction<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result

    /// The bus nodes sharing this database talk on, counting what slow subscribers lose in
    /// `drops`.
    func makeBus(logger: Logger, drops: Counter?) -> any ClusterBus

    /// A database of a module's own beside this one, named after the module: on SQLite a file
    /// of its own next to this one (`<name>.sqlite`), opened on first call and closed with this
    /// database; `nil` where the engine keeps a module's tables in the shared database
    /// (PostgreSQL, whose connections and transactions serve many writers).
    func companion(named name: String) async throws -> (any Database)?

    /// Closes every connection. The database is unusable afterwards.
    func close() async
}

extension Database {
    public func companion(named name: String) async throws -> (any Database)? { nil }
}

extension Database {
    /// Checks that the database answers.
    public func ping() async throws {
        _ = try await read { try await $0.raw("SELECT 1 AS one").all() }
    }
}

/// Runs `body` between `BEGIN` and `COMMIT` on one connection, rolling back if it throws.
func runTransaction<Result: Sendable>(
    on connection: any SQLDatabase,
    begin: SQLQueryString,
    _ body: @Sendable (any SQLDatabase) async throws -> Result
) async throws -> Result {
    try await connection.raw(begin).run()
    do {
        let result = try await body(connection)
        try await connection.raw("COMMIT").run()
        return result
    } catch {
        // The connection goes back to its pool: it must not stay inside the transaction, even if
        // this task is being cancelled, so the rollback runs in a task of its own. The original
        // error matters more than a failed rollback on a broken connection.
        await Task { try? await connection.raw("ROLLBACK").run() }.value
        throw error
    }
}

extension Database {
    /// The bus nodes sharing this database talk on, its losses uncounted.
    public func makeBus(logger: Logger) -> any ClusterBus { makeBus(logger: logger, drops: nil) }
}
