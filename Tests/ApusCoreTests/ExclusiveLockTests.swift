import ApusCore
import ApusTesting
import SQLKit
import Testing

@Suite struct ExclusiveLockTests {
    @Test(arguments: DatabaseEngine.allCases)
    func oneHolderAtATimeAndTheLockEndsWithItsBody(engine: DatabaseEngine) async throws {
        struct Failed: Error {}
        try await TestDatabase.withDatabase(engine) { database in
            try await database.write { try await $0.raw("CREATE TABLE t_items (name TEXT NOT NULL)").run() }
            let (entered, enter) = AsyncStream.makeStream(of: Void.self)
            let (released, release) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await database.withExclusiveLock("tests", "a") { () -> Int in
                    // The body writes in transactions of its own while the lock is held.
                    try await database.withTransaction { try await $0.raw("INSERT INTO t_items (name) VALUES ('held')").run() }
                    enter.yield()
                    for await _ in released { break }
                    return 1
                }
            }
            for await _ in entered { break }
            #expect(try await database.withExclusiveLock("tests", "a") { 2 } == nil, "a second holder got the lock")
            #expect(try await database.withExclusiveLock("tests", "b") { 3 } == 3, "another name was not free")
            release.yield()
            #expect(try await holder.value == 1)
            #expect(try await database.withExclusiveLock("tests", "a") { 4 } == 4, "the lock outlived its body")
            await #expect(throws: Failed.self) { try await database.withExclusiveLock("tests", "a") { () -> Int in throw Failed() } }
            #expect(try await database.withExclusiveLock("tests", "a") { 5 } == 5, "a failed body kept the lock")
            let rows = try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM t_items").first()?.decode(column: "n", as: Int.self) }
            #expect(rows == 1, "what the body wrote under the lock was not kept")
        }
    }
}
