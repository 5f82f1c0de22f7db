import Foundation
public import Logging
public import Prometheus
public import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization
import NIOPosix

/// SQLite in WAL mode: one writer connection (SQLite allows one writer at a time, so writes
/// queue here instead of spinning on `SQLITE_BUSY`) and several read-only readers.
public final class SQLiteBackend: Database {
    public let engine = DatabaseEngine.sqlite
    private let writer: ConnectionPool<SQLiteConnection>
    private let readers: ConnectionPool<SQLiteConnection>
    /// The file this database lives in.
    public let path: String
    /// Databases of modules' own beside this one, closed with it; the first caller's opening is
    /// the one every caller awaits, so no file is ever opened twice.
    private let companions = Mutex<[String: Task<SQLiteBackend, any Error>]>([:])

    /// How many tasks wait for the writer now (tests that must know another writer is blocked).
    var writersWaiting: Int { get async { await writer.waiters } }
    private let logger: Logger

    private init(path: String, writer: SQLiteConnection, readers: [SQLiteConnection], logger: Logger) {
        self.path = path
        self.writer = ConnectionPool([writer])
        self.readers = ConnectionPool(readers)
        self.logger = logger
    }

    /// Opens (creating if missing) the database file at `path` with `readerCount` readers.
    public static func open(path: String, readerCount: Int = 4, logger: Logger) async throws -> SQLiteBackend {
        let writer = try await SQLiteConnection.open(storage: .file(path: path), threadPool: BlockingPools.sqlite, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
        let writerSQL = writer.sql(queryLogLevel: .trace)
        // WAL lets readers run beside the writer; NORMAL is durable across crashes of the process
        // and loses at most the last transactions on power loss, the usual trade for WAL.
        try await writerSQL.raw("PRAGMA journal_mode=WAL").run()
        try await configure(writerSQL)
        var readers: [SQLiteConnection] = []
        for _ in 0..<max(1, readerCount) {
            let reader = try await SQLiteConnection.open(storage: .file(path: path), threadPool: BlockingPools.sqlite, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
            let readerSQL = reader.sql(queryLogLevel: .trace)
            try await configure(readerSQL)
            try await readerSQL.raw("PRAGMA query_only=ON").run()
            readers.append(reader)
        }
        return SQLiteBackend(path: path, writer: writer, readers: readers, logger: logger)
    }

    /// How long a statement waits for a lock another connection holds.
    static let busyTimeoutMilliseconds = 5_000

    private static func configure(_ connection: any SQLDatabase) async throws {
        try await connection.raw("PRAGMA busy_timeout=\(unsafeRaw: String(busyTimeoutMilliseconds))").run()
        try await connection.raw("PRAGMA synchronous=NORMAL").run()
        try await connection.raw("PRAGMA foreign_keys=ON").run()
    }

    public func read<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        try await readers.withConnection { try await body($0.sql(queryLogLevel: .trace)) }
    }

    public func write<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        try await writer.withConnection { try await body($0.sql(queryLogLevel: .trace)) }
    }

    public func withTransaction<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        // IMMEDIATE takes the write lock up front, so a transaction never fails half-way on upgrade.
        try await writer.withConnection {
            try await runTransaction(on: $0.sql(queryLogLevel: .trace), begin: "BEGIN IMMEDIATE", body)
        }
    }

    public func makeBus(logger: Logger, drops: Counter?) -> any ClusterBus {
        LocalBus(drops: drops)
    }

    public func companion(named name: String) async throws -> (any Database)? {
        let file = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("\(name).sqlite").path
        let opening = companions.withLock { companions in
            if let opening = companions[name] { return opening }
            let opening = Task { [logger] in
                let companion = try await SQLiteBackend.open(path: file, logger: logger)
                // Before its first table: space its module frees can be given back to the file
                // system (`PRAGMA incremental_vacuum`), as a log store's retention must.
                // In WAL mode the setting takes effect through a VACUUM, cheap while the file is new.
                try await companion.write { sql in
                    let tables = try await sql.raw("SELECT COUNT(*) AS n FROM sqlite_master").first()?.decode(column: "n", as: Int.self) ?? 0
                    guard tables == 0 else { return }
                    try await sql.raw("PRAGMA auto_vacuum = INCREMENTAL").run()
                    try await sql.raw("VACUUM").run()
                }
                return companion
            }
            companions[name] = opening
            return opening
        }
        return try await opening.value
    }

    public func close() async {
        let opened = companions.withLock { companions in
            defer { companions.removeAll() }
            return Array(companions.values)
        }
        for opening in opened { await (try? opening.value)?.close() }
        for connection in await readers.drain() + writer.drain() {
            try? await connection.close()
        }
    }
}
