import ApusCore
import ApusKit
import ApusTesting
import Foundation
import SQLKit
import SQLiteKit
import Synchronization
import Testing

@Suite struct ConflictRetryTests {
    /// Retries and attempts counted across the tasks of a test.
    final class Counts: Sendable {
        let retries = Mutex(0)
        let attempts = Mutex([0, 0])
    }

    /// A row held by one transaction makes another, with a short `lock_timeout`, fail with
    /// 55P03; the retry runs it again once the holder commits, and it succeeds.
    @Test func aLockTimeoutIsRetriedUntilTheLockIsFree() async throws {
        try await TestDatabase.withDatabase(.postgres) { database in
            let platform = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            try await database.write { sql in
                try await sql.raw("CREATE TABLE t_row (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)").run()
                try await sql.raw("INSERT INTO t_row VALUES (1, 0)").run()
            }
            let (failures, failed) = AsyncStream<Void>.makeStream()
            let (locked, isLocked) = AsyncStream<Void>.makeStream()
            let retries = Mutex(0)
            let holder = Task {
                try await platform.transaction { transaction in
                    try await transaction.sql.raw("UPDATE t_row SET value = value + 1 WHERE id = 1").run()
                    isLocked.yield()
                    // Held until the other transaction has timed out once.
                    for await _ in failures { break }
                }
            }
            for await _ in locked { break }
            let retry = ConflictRetry(attempts: 20, backoff: ExponentialBackoff(base: 0.01, cap: 0.05))
            try await retry.run(onRetry: {
                retries.withLock { $0 += 1 }
                failed.yield()
            }) {
                try await platform.transaction { transaction in
                    try await transaction.setLockTimeout(.milliseconds(50))
                    try await transaction.sql.raw("UPDATE t_row SET value = value + 10 WHERE id = 1").run()
                }
            }
            try await holder.value
            #expect(retries.withLock { $0 } >= 1)
            let value = try await database.read { try await $0.raw("SELECT value FROM t_row WHERE id = 1").first()!.decode(column: "value", as: Int.self) }
            #expect(value == 11)
        }
    }

    /// Two transactions that lock two rows in opposite orders deadlock for real: PostgreSQL
    /// aborts one with 40P01, the retry runs it again, and both changes land exactly once.
    @Test func aRealDeadlockIsRetriedAndBothTransactionsLandOnce() async throws {
        try await TestDatabase.withDatabase(.postgres) { database in
            let platform = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            try await database.write { sql in
                try await sql.raw("CREATE TABLE t_row (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)").run()
                try await sql.raw("INSERT INTO t_row VALUES (1, 0), (2, 0)").run()
            }
            let (firstHolds, firstHolding) = AsyncStream<Void>.makeStream()
            let (secondHolds, secondHolding) = AsyncStream<Void>.makeStream()
            let counts = Counts()
            let retry = ConflictRetry(attempts: 5, backoff: ExponentialBackoff(base: 0.01, cap: 0.05))
            @Sendable func cross(_ me: Int, own: Int, then other: Int, holding: AsyncStream<Void>.Continuation, otherHolds: AsyncStream<Void>) async throws {
                try await retry.run(onRetry: { counts.retries.withLock { $0 += 1 } }) {
                    let attempt = counts.attempts.withLock { $0[me] += 1; return $0[me] }
                    try await platform.transaction { transaction in
                        try await transaction.sql.raw("UPDATE t_row SET value = value + 1 WHERE id = \(bind: own)").run()
                        if attempt == 1 {
                            // Each holds its first row before either asks for the other's.
                            holding.yield()
                            for await _ in otherHolds { break }
                        }
                        try await transaction.sql.raw("UPDATE t_row SET value = value + 10 WHERE id = \(bind: other)").run()
                    }
                }
            }
            let first = Task { try await cross(0, own: 1, then: 2, holding: firstHolding, otherHolds: secondHolds) }
            let second = Task { try await cross(1, own: 2, then: 1, holding: secondHolding, otherHolds: firstHolds) }
            try await first.value
            try await second.value
            #expect(counts.retries.withLock { $0 } == 1, "one of the two was the deadlock's victim")
            let values = try await database.read { try await $0.raw("SELECT value FROM t_row ORDER BY id").all().map { try $0.decode(column: "value", as: Int.self) } }
            #expect(values == [11, 11])
        }
    }

    /// A transaction's named lock makes a second transaction asking for it wait until the first
    /// ends (here, until its `lock_timeout`, 55P03); once the first commits, the lock is free.
    @Test func aTransactionsNamedLockHoldsUntilItEnds() async throws {
        try await TestDatabase.withDatabase(.postgres) { database in
            let platform = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            let (release, released) = AsyncStream<Void>.makeStream()
            let (locked, isLocked) = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await platform.transaction { transaction in
                    try await transaction.lock("test", "a")
                    isLocked.yield()
                    for await _ in release { break }
                }
            }
            for await _ in locked { break }
            await #expect {
                try await platform.transaction { transaction in
                    try await transaction.setLockTimeout(.milliseconds(50))
                    try await transaction.lock("test", "a")
                }
            } throws: { error in
                ConflictRetry.isRetryable(error)
            }
            // Another name is another lock.
            try await platform.transaction { transaction in
                try await transaction.setLockTimeout(.milliseconds(50))
                try await transaction.lock("test", "b")
            }
            released.yield()
            try await holder.value
            try await platform.transaction { transaction in
                try await transaction.setLockTimeout(.milliseconds(50))
                try await transaction.lock("test", "a")
            }
        }
    }

    /// A second process on the same SQLite file (a second node) finds the write lock taken past
    /// its busy timeout: that is a conflict a retry may cure, as PostgreSQL's lock timeout is.
    @Test func sqliteBusyFromAnotherWriterIsRetryable() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("busy-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try await SQLiteBackend.open(path: path, readerCount: 1, logger: TestDatabase.logger)
        let other = try await SQLiteConnection.open(storage: .file(path: path))
        let (release, released) = AsyncStream<Void>.makeStream()
        let (locked, isLocked) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await database.withTransaction { sql in
                try await sql.raw("CREATE TABLE held (id INTEGER)").run()
                isLocked.yield()
                for await _ in release { break }
            }
        }
        for await _ in locked { break }
        let sql = other.sql()
        try await sql.raw("PRAGMA busy_timeout=0").run()
        await #expect { try await sql.raw("BEGIN IMMEDIATE").run() } throws: { ConflictRetry.isRetryable($0) }
        released.yield()
        try await holder.value
        try await sql.raw("BEGIN IMMEDIATE").run()
        try await sql.raw("ROLLBACK").run()
        try await other.close()
        await database.close()
    }

    @Test func retriesRunOutIntoAnErrorOfTheirOwnAndOtherErrorsPassAtOnce() async throws {
        try await TestDatabase.withDatabase(.postgres) { database in
            let platform = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            try await database.write { sql in
                try await sql.raw("CREATE TABLE t_row (id INTEGER PRIMARY KEY)").run()
                try await sql.raw("INSERT INTO t_row VALUES (1)").run()
            }
            let (release, released) = AsyncStream<Void>.makeStream()
            let (locked, isLocked) = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await platform.transaction { transaction in
                    try await transaction.sql.raw("SELECT id FROM t_row WHERE id = 1 FOR UPDATE").run()
                    isLocked.yield()
                    for await _ in release { break }
                }
            }
            for await _ in locked { break }
            await #expect {
                try await ConflictRetry(attempts: 2, backoff: ExponentialBackoff(base: 0.001, cap: 0.001)).run {
                    try await platform.transaction { transaction in
                        try await transaction.setLockTimeout(.milliseconds(20))
                        try await transaction.sql.raw("SELECT id FROM t_row WHERE id = 1 FOR UPDATE").run()
                    }
                }
            } throws: { error in
                (error as? ConflictRetriesExhausted)?.attempts == 2
            }
            released.yield()
            try await holder.value
            let runs = Mutex(0)
            await #expect(throws: (any Error).self) {
                try await ConflictRetry().run {
                    runs.withLock { $0 += 1 }
                    try await database.read { try await $0.raw("SELECT nonsense FROM nowhere").run() }
                }
            }
            #expect(runs.withLock { $0 } == 1)
        }
    }

    @Test func onSQLiteALockTimeoutIsANoOp() async throws {
        try await TestDatabase.withDatabase(.sqlite) { database in
            let platform = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            let value = try await ConflictRetry().run {
                try await platform.transaction { transaction in
                    try await transaction.setLockTimeout(.milliseconds(10))
                    return try await transaction.sql.raw("SELECT 7 AS seven").first()!.decode(column: "seven", as: Int.self)
                }
            }
            #expect(value == 7)
        }
    }
}
