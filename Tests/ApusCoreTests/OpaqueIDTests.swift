@testable import ApusCore
import ApusTesting
import Foundation
import SQLKit
import Testing

@Suite struct OpaqueIDTests {
    static let times = [0.0, 1.0, 59.999, 1_764_000_000.0, 1_764_000_000.001, 1_764_000_060.5, 4_102_444_800.0]

    @Test func idsSortByTheTimeTheyWereMade() {
        let ids = Self.times.map { OpaqueID.make("ntf", at: Date(timeIntervalSince1970: $0)) }
        #expect(ids == ids.sorted())
        #expect(ids.allSatisfy { OpaqueID.isWellFormed($0) })
        #expect(Set(ids.map { $0.dropFirst(14) }).count == ids.count)
    }

    /// Newest first in SQL is chronological whatever the collation of the server's text.
    @Test(arguments: DatabaseEngine.allCases)
    func theDatabaseOrdersThemByTime(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            try await database.write { try await $0.raw("CREATE TABLE t_ids (id TEXT PRIMARY KEY)").run() }
            let ids = Self.times.map { OpaqueID.make("whe", at: Date(timeIntervalSince1970: $0)) }
            for id in ids.shuffled() {
                try await database.write { try await $0.raw("INSERT INTO t_ids (id) VALUES (\(bind: id))").run() }
            }
            let newestFirst = try await database.read { connection in
                try await connection.raw("SELECT id FROM t_ids ORDER BY id DESC").all().map { try $0.decode(column: "id", as: String.self) }
            }
            #expect(newestFirst == ids.reversed())
        }
    }
}
