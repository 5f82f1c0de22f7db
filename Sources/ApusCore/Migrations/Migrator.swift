import ApusKit
public import Foundation
public import Logging
import SQLKit

/// Applies migrations in dependency order (Kahn's algorithm) and records each with its checksum
/// in `apus_migrations`.
public struct Migrator: Sendable {
    /// A migration as the database knows it.
    public struct Status: Sendable, Equatable {
        public let id: MigrationID
        /// When it was applied, or `nil` if pending.
        public let appliedAt: Date?
    }

    private let database: any Database
    private let migrations: [Migration]
    private let logger: Logger
    /// Migrators of modules' own databases, run after this one's (a module's own database holds
    /// only its tables, so nothing there depends on the shared database's order).
    private let companions: [Migrator]

    /// Plans `migrations` against `database`, then each of `companions`.
    public init(database: any Database, migrations: [Migration], logger: Logger, companions: [Migrator] = []) {
        self.database = database
        self.migrations = migrations
        self.logger = logger
        self.companions = companions
    }

    /// The migrations in the order they are applied.
    public func plan() throws(MigrationError) -> [Migration] {
        var byID: [MigrationID: Migration] = [:]
        for migration in migrations {
            guard byID.updateValue(migration, forKey: migration.id) == nil else { throw .duplicate(migration.id) }
        }
        // Sorting first makes the order deterministic whatever order modules are composed in.
        let ids = byID.keys.sorted()
        do {
            return try TopologicalSort.sort(ids) { byID[$0]!.dependencies }.map { byID[$0]! }
        } catch let error as TopologicalSort.CycleError<MigrationID> {
            throw .cycle(error.members)
        } catch let error as TopologicalSort.MissingDependencyError<MigrationID> {
            throw .missingDependency(error.node, missing: error.missing)
        } catch {
            preconditionFailure("topological sort threw \(error)")
        }
    }

    /// Every planned migration with whether it is applied; fails if an applied one has changed.
    public func status() async throws -> [Status] {
        let ordered = try plan()
        let applied = try await appliedRecords()
        try verifyChecksums(ordered, applied: applied)
        var statuses = ordered.map { Status(id: $0.id, appliedAt: applied[$0.id]?.appliedAt) }
        for companion in companions { statuses += try await companion.status() }
        return statuses
    }

    /// Migrations not yet applied, in order.
    public func pending() async throws -> [MigrationID] {
        try await status().filter { $0.appliedAt == nil }.map(\.id)
    }

    /// Applies every pending migration, each in its own transaction; returns the ids applied.
    ///
    /// Safe to run from several nodes at once: on PostgreSQL an advisory lock serialises them, on
    /// SQLite the single writer does, and each recheck sees what the other applied.
    @discardableResult
    public func migrate() async throws -> [MigrationID] {
        let ordered = try plan()
        try await ensureTable()
        var appliedNow: [MigrationID] = []
        for migration in ordered {
            let checksum = migration.checksum(for: database.engine)
            let applied = try await database.withTransaction { connection -> Bool in
                if database.engine == .postgres {
                    // Transaction-scoped, so it is released on commit or rollback.
                    try await connection.raw("SELECT pg_advisory_xact_lock(\(unsafeRaw: String(Self.lockKey)))").run()
                }
                let existing = try await connection.raw(
                    "SELECT checksum FROM apus_migrations WHERE module = \(bind: migration.id.module) AND name = \(bind: migration.id.name)"
                ).first()
                if let existing {
                    let recorded = try existing.decode(column: "checksum", as: String.self)
                    if recorded != checksum, migration.formerChecksums.contains(recorded) {
                        try await connection.raw("""
                            UPDATE apus_migrations SET checksum = \(bind: checksum)
                            WHERE module = \(bind: migration.id.module) AND name = \(bind: migration.id.name)
                            """).run()
                        return false
                    }
                    guard recorded == checksum else {
                        throw MigrationError.checksumMismatch(migration.id, recorded: recorded, current: checksum)
                    }
                    return false
                }
                for statement in migration.statements(for: database.engine) {
                    do {
                        try await connection.raw("\(unsafeRaw: statement)").run()
                    } catch {
                        throw MigrationError.failed(migration.id, reason: String(reflecting: error).prefix(500).description)
                    }
                }
                try await connection.raw("""
                    INSERT INTO apus_migrations (module, name, checksum, applied_at)
                    VALUES (\(bind: migration.id.module), \(bind: migration.id.name), \(bind: checksum), \(bind: Self.timestamp()))
                    """).run()
                return true
            }
            if applied {
                logger.info("applied migration", metadata: ["migration": "\(migration.id)"])
                appliedNow.append(migration.id)
            }
        }
        for companion in companions { appliedNow += try await companion.migrate() }
        return appliedNow
    }

    private struct Record {
        let checksum: String
        let appliedAt: Date?
    }

    private func ensureTable() async throws {
        try await database.withTransaction { connection in
            if database.engine == .postgres {
                // Concurrent CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL's catalog.
                try await connection.raw("SELECT pg_advisory_xact_lock(\(unsafeRaw: String(Self.lockKey)))").run()
            }
            try await connection.raw("""
                CREATE TABLE IF NOT EXISTS apus_migrations (
                    module TEXT NOT NULL,
                    name TEXT NOT NULL,
                    checksum TEXT NOT NULL,
                    applied_at TEXT NOT NULL,
                    PRIMARY KEY (module, name)
                )
                """).run()
        }
    }

    private func appliedRecords() async throws -> [MigrationID: Record] {
        try await ensureTable()
        let rows = try await database.read { try await $0.raw("SELECT module, name, checksum, applied_at FROM apus_migrations").all() }
        var records: [MigrationID: Record] = [:]
        for row in rows {
            let id = MigrationID(module: try row.decode(column: "module", as: String.self), name: try row.decode(column: "name", as: String.self))
            let appliedAt = try row.decode(column: "applied_at", as: String.self)
            records[id] = Record(checksum: try row.decode(column: "checksum", as: String.self), appliedAt: Timestamp.parse(appliedAt))
        }
        return records
    }

    private func verifyChecksums(_ ordered: [Migration], applied: [MigrationID: Record]) throws {
        for migration in ordered {
            guard let record = applied[migration.id] else { continue }
            let current = migration.checksum(for: database.engine)
            if record.checksum != current, !migration.formerChecksums.contains(record.checksum) {
                throw MigrationError.checksumMismatch(migration.id, recorded: record.checksum, current: current)
            }
        }
    }

    private static func timestamp() -> String { Timestamp.format(Date()) }

    /// A fixed advisory-lock key for migrations ("apus" + "mig" in ASCII).
    static let lockKey: Int64 = 0x6170_7573_6D69_67
}
