import ApusCore
import ApusTesting
import SQLKit
import Testing

@Suite struct CommitOrderTests {
    static func createTable(_ database: any Database) async throws {
        try await database.write { sql in
            if database.engine == .postgres {
                try await sql.raw("CREATE TABLE t_feed (seq BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, \(unsafeRaw: CommitOrder.postgresColumn))").run()
            } else {
                try await sql.raw("CREATE TABLE t_feed (seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)").run()
            }
        }
    }

    static func names(after position: CommitPosition, limit: Int = 100, _ database: any Database) async throws -> ([String], CommitPosition) {
        try await database.read { sql in
            let (rows, next) = try await CommitOrder.rows(of: "t_feed", columns: "name", sequence: "seq", after: position, limit: limit, on: sql)
            return (try rows.map { try $0.decode(column: "name", as: String.self) }, next)
        }
    }

    /// Read in pages, every row comes once and in order, and a read past the end keeps the position.
    @Test(arguments: DatabaseEngine.allCases)
    func pagesGoOnWhereTheLastOneEnded(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            try await Self.createTable(database)
            for name in ["a", "b", "c", "d", "e"] {
                try await database.write { try await $0.raw("INSERT INTO t_feed (name) VALUES (\(bind: name))").run() }
            }
            // On PostgreSQL a transaction open anywhere in the cluster (another test's) holds
            // rows back until it ends, so pages are read until all five have come.
            var position = CommitPosition.start
            var seen: [String] = []
            try await expectEventually(20) {
                while true {
                    let (names, next) = try await Self.names(after: position, limit: 2, database)
                    if names.isEmpty {
                        #expect(next == position)
                        break
                    }
                    seen += names
                    position = next
                }
                return seen.count >= 5
            }
            #expect(seen == ["a", "b", "c", "d", "e"])
            try await database.write { try await $0.raw("INSERT INTO t_feed (name) VALUES ('f')").run() }
            var last: [String] = []
            try await expectEventually(20) {
                last = try await Self.names(after: position, database).0
                return !last.isEmpty
            }
            #expect(last == ["f"])
        }
    }

    /// Waiting for the transactions that had started makes a row committed before the wait
    /// readable at once, even while later transactions stay open.
    @Test func onPostgreSQLWaitingForEarlierTransactionsEndsWithTheOpenOne() async throws {
        try await TestDatabase.withDatabase(.postgres) { database in
            try await Self.createTable(database)
            let platform = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            let (opened, isOpen) = AsyncStream<Void>.makeStream()
            let (release, released) = AsyncStream<Void>.makeStream()
            let open = Task {
                try await platform.transaction { transaction in
                    try await transaction.sql.raw("INSERT INTO t_feed (name) VALUES ('open')").run()
                    isOpen.yield()
                    for await _ in release { break }
                }
            }
            for await _ in opened { break }
            // Held open: the wait gives up at its timeout and says so.
            #expect(try await database.read { try await CommitOrder.waitForEarlierTransactions(on: $0, timeout: .milliseconds(200)) } == false)
            let waiting = Task { try await database.read { try await CommitOrder.waitForEarlierTransactions(on: $0, timeout: .seconds(20)) } }
            try await Task.sleep(for: .milliseconds(100))
            released.yield()
            try await open.value
            #expect(try await waiting.value)
            #expect(try await Self.names(after: .start, database).0.contains("open"))
        }
    }

    /// The row whose transaction took the lower number but committed last is not skipped: while
    /// it is open, nothing after it is read, and once it commits both rows are.
    @Test func onPostgreSQLARowThatCommitsLateIsNotSkipped() async throws {
        try await TestDatabase.withDatabase(.postgres) { database in
            try await Self.createTable(database)
            let platform = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            let (opened, isOpen) = AsyncStream<Void>.makeStream()
            let (release, released) = AsyncStream<Void>.makeStream()
            let late = Task {
                try await platform.transaction { transaction in
                    try await transaction.sql.raw("INSERT INTO t_feed (name) VALUES ('late')").run()
                    isOpen.yield()
                    for await _ in release { break }
                }
            }
            for await _ in opened { break }
            try await database.write { try await $0.raw("INSERT INTO t_feed (name) VALUES ('early')").run() }
            let (whileOpen, position) = try await Self.names(after: .start, database)
            #expect(whileOpen.isEmpty && position == .start)
            released.yield()
            try await late.value
            var (afterCommit, next) = ([String](), position)
            try await expectEventually(20) {
                let (names, after) = try await Self.names(after: next, database)
                afterCommit += names
                next = after
                return afterCommit.count >= 2
            }
            #expect(afterCommit == ["late", "early"])
            #expect(try await Self.names(after: next, database).0.isEmpty)
        }
    }
}
