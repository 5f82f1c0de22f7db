import ApusCore
import ApusTesting
import SQLKit
import Testing

@Suite struct DatabaseTests {
    @Test(arguments: DatabaseEngine.allCases)
    func aTransactionCommitsWhenItsBodyReturns(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database async throws in
            try await database.write { try await $0.raw("CREATE TABLE t_items (name TEXT NOT NULL)").run() }
            try await database.withTransaction { connection in
                try await connection.raw("INSERT INTO t_items (name) VALUES (\(bind: "kept"))").run()
            }
            let rows = try await database.read { try await $0.raw("SELECT name FROM t_items").all() }
            #expect(try rows.map { try $0.decode(column: "name", as: String.self) } == ["kept"])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aTransactionRollsBackWhenItsBodyThrows(engine: DatabaseEngine) async throws {
        struct Abort: Error {}
        try await TestDatabase.withDatabase(engine) { database async throws in
            try await database.write { try await $0.raw("CREATE TABLE t_items (name TEXT NOT NULL)").run() }
            await #expect(throws: Abort.self) {
                try await database.withTransaction { connection in
                    try await connection.raw("INSERT INTO t_items (name) VALUES (\(bind: "lost"))").run()
                    throw Abort()
                }
            }
            let rows = try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM t_items").first() }
            #expect(try rows?.decode(column: "n", as: Int.self) == 0)
            // The connection is usable again after the rollback.
            try await database.withTransaction { try await $0.raw("INSERT INTO t_items (name) VALUES ('after')").run() }
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func concurrentTransactionsLoseNoUpdate(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database async throws in
            try await database.write { connection in
                try await connection.raw("CREATE TABLE t_counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)").run()
                try await connection.raw("INSERT INTO t_counter (id, value) VALUES (1, 0)").run()
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await database.withTransaction { connection in
                            // Row lock on PostgreSQL, the single writer on SQLite.
                            let lock: SQLQueryString = engine == .postgres ? "SELECT value FROM t_counter WHERE id = 1 FOR UPDATE" : "SELECT value FROM t_counter WHERE id = 1"
                            let value = try await connection.raw(lock).first()!.decode(column: "value", as: Int.self)
                            try await connection.raw("UPDATE t_counter SET value = \(bind: value + 1) WHERE id = 1").run()
                        }
                    }
                }
                try await group.waitForAll()
            }
            let row = try await database.read { try await $0.raw("SELECT value FROM t_counter WHERE id = 1").first() }
            #expect(try row?.decode(column: "value", as: Int.self) == 40)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func readersSeeCommittedWrites(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database async throws in
            try await database.ping()
            try await database.write { try await $0.raw("CREATE TABLE t_seen (n INTEGER NOT NULL)").run() }
            for n in 1...5 {
                try await database.withTransaction { try await $0.raw("INSERT INTO t_seen (n) VALUES (\(bind: n))").run() }
                let row = try await database.read { try await $0.raw("SELECT SUM(n) AS total FROM t_seen").first() }
                #expect(try row?.decode(column: "total", as: Int.self) == n * (n + 1) / 2)
            }
        }
    }
}
