public import SQLKit
import Synchronization

/// A database a module keeps apart from the shared one, declared statically
/// (``Module/ownDatabase``): what is written to it in volume (log lines) never waits for, or
/// slows, the shared database's writer. On SQLite it is a file of its own beside the shared one,
/// `<module>.sqlite`, with its own migrations and lifecycle; on PostgreSQL its tables sit in the
/// shared database, prefixed like the module's other tables.
public struct OwnDatabase: Sendable {
    /// Its schema changes, applied to it (not to the shared database) by `apus migrate` and at
    /// start, recorded in its own `apus_migrations`.
    public var migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }
}

/// A module's own database, as the module uses it (`try platform.ownDatabase(for: name)`):
/// transactions and reads on plain SQL. It has no outbox: events, jobs and invalidations go
/// through ``Platform/transaction(_:)`` on the shared database.
public struct ModuleDatabase: Sendable {
    /// The engine it runs on.
    public var engine: DatabaseEngine { database.engine }
    /// Whether it is a database apart (a file of its own on SQLite) rather than the shared one.
    public let isSeparate: Bool
    let database: any Database

    /// Runs `body` in one transaction: commits when it returns, rolls back when it throws.
    public func transaction<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        try await database.withTransaction(body)
    }

    /// Gives the pages freed by deletions back to the file system: on SQLite, where a module's
    /// own file keeps them otherwise; nothing to do on PostgreSQL, whose autovacuum does it.
    /// On SQLite the write-ahead log is emptied too: it keeps the size of the largest
    /// transaction since it was last emptied (a compaction's, as large as what it rewrote).
    public func releaseFreeSpace() async throws {
        guard isSeparate, engine == .sqlite else { return }
        _ = try await database.write { sql in
            _ = try await sql.raw("PRAGMA incremental_vacuum").all()
            // While a reader holds an older snapshot the log cannot be emptied: without waiting
            // (the writer is held meanwhile), the answer is busy, not an error, and the next
            // call empties it.
            try await sql.raw("PRAGMA busy_timeout=0").run()
            let restore: SQLQueryString = "PRAGMA busy_timeout=\(unsafeRaw: String(SQLiteBackend.busyTimeoutMilliseconds))"
            do {
                _ = try await sql.raw("PRAGMA wal_checkpoint(TRUNCATE)").all()
            } catch {
                // Restored whatever the checkpoint did: the writer's next statements wait again.
                try await sql.raw(restore).run()
                throw error
            }
            try await sql.raw(restore).run()
        }
    }

    /// Runs `body` on a connection for reading (on SQLite, one that never waits for the writer).
    public func read<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        try await database.read(body)
    }
}

/// The own databases a node has opened, by module.
final class OwnDatabases: Sendable {
    struct Entry: Sendable {
        let database: ModuleDatabase
        let migrations: [Migration]
    }

    private let entries = Mutex<[String: Entry]>([:])

    func register(_ module: String, _ entry: Entry) {
        entries.withLock { $0[module] = entry }
    }

    func entry(_ module: String) -> Entry? {
        entries.withLock { $0[module] }
    }

    /// The databases apart from the shared one, with their migrations.
    var separate: [(module: String, entry: Entry)] {
        entries.withLock { $0.filter(\.value.database.isSeparate).sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }
}
