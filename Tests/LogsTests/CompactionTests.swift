import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Logs
import SQLKit
import Testing

/// Shippers that send a line at a time leave a chunk per line; compaction merges a stream's
/// settled small chunks and every query answers as before.
@Suite struct CompactionTests {
    @Test(arguments: DatabaseEngine.allCases)
    func smallChunksOfAStreamBecomeOneAndQueriesAnswerTheSame(_ engine: DatabaseEngine) async throws {
        let clock = TestClock()
        try await TestServer.withNode(engine: engine, modules: [LogsModule()], clock: clock, configure: {
            // The background round is kept from running: the test calls it by hand.
            $0.settings = Settings(["APUS_LOGS_COMPACT_EVERY": "1000000000", "APUS_LOGS_RETENTION_EVERY": "1000000000"])
        }) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            struct Created: Decodable { let key: String }
            let key = try await client.json("/v1/api-keys", .post, token: admin.accessToken, body: #"{"name":"shipper","scopes":["logs.write","logs.read"]}"#).decoded(Created.self).key
            let start = Int64(clock.now().timeIntervalSince1970 * 1_000_000_000)
            for n in 0..<40 {
                let app = n % 4 == 0 ? "b" : "a"
                let time = start + Int64(n) * 1_000_000
                let body = #"{"streams":[{"stream":{"app":"\#(app)"},"values":[["\#(time)","line \#(n)",{"trace_id":"t\#(n % 3)"}]]}]}"#
                #expect(try await client.json("/loki/api/v1/push", .post, token: key, body: body).status == .noContent)
            }
            func answers() async throws -> [String] {
                let query = #"{app=~"a|b"}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let response = try await client.json("/loki/api/v1/query_range?query=\(query)&limit=1000&start=\(start)", .get, token: key)
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body))
                let result = ((object as? [String: Any])?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
                return result.flatMap { ($0["values"] as? [[String]] ?? []).map { $0[1] } }.sorted()
            }
            let before = try await answers()
            #expect(before.count == 40)
            let storage = try server.platform.ownDatabase(for: LogsModule.name)
            let service = LogsService(storage: storage, settings: try LogsSettings(server.platform.settings), now: clock.now)
            // Not yet settled: nothing merges.
            #expect(try await service.compact() == (0, 0))
            clock.advance(by: 120)
            #expect(try await service.compact() == (40, 2))
            #expect(try await rowCount("logs_chunks", in: storage) == 2)
            #expect(try await answers() == before)
            // The trace keys moved with their lines: one key row per id per merged chunk.
            #expect(try await rowCount("logs_chunk_keys", in: storage) == 6)
            struct Me: Decodable { let id: String }
            let me = try await client.json("/v1/auth/me", .get, token: admin.accessToken).decoded(Me.self)
            #expect(try await service.trace("t1", tenants: [me.id]).count == 13)
            #expect(try await service.compact() == (0, 0), "nothing left to merge")
            // Lines hours apart are never merged into one chunk, so retention stays precise.
            for hour in [0, 2] {
                let time = start - Int64(6 - hour) * 3_600_000_000_000
                let body = #"{"streams":[{"stream":{"app":"c"},"values":[["\#(time)","hour \#(hour)"]]}]}"#
                #expect(try await client.json("/loki/api/v1/push", .post, token: key, body: body).status == .noContent)
            }
            #expect(try await service.compact() == (0, 0))
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aMergeReplacesOnlyTheChunksItReadAsTheyWere(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LogsModule()], configure: {
            $0.settings = Settings(["APUS_LOGS_COMPACT_EVERY": "1000000000", "APUS_LOGS_RETENTION_EVERY": "1000000000"])
        }) { server, _ in
            let storage = try server.platform.ownDatabase(for: LogsModule.name)
            let labels = try LabelSet([("app", "a")], maxLabels: 15)
            let service = LogsService(storage: storage, settings: try LogsSettings(server.platform.settings), now: { Date() })
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
            var stored: [Int64] = []
            for n in 0..<3 { stored += try await service.store([(labels, [LogEntry(timestamp: now + Int64(n), line: "line \(n)")])], tenant: "t").chunks }
            let ids = stored
            let read = try await storage.read { sql in try await ChunkStore.identified(ids: ids, on: sql) }
            let stream = read[0].chunk.streamID
            let merged = try #require(PreparedChunk((0..<3).map { LogEntry(timestamp: now + Int64($0), line: "line \($0)") }))
            // A chunk that is not what was read (SQLite gives a deleted highest id to the next
            // row) leaves everything as it was.
            try await storage.transaction { sql in try await sql.raw("UPDATE logs_chunks SET raw_bytes = raw_bytes + 1 WHERE id = \(bind: ids[2])").run() }
            #expect(try await storage.transaction { sql in try await ChunkStore.replace(read, stream: stream, with: merged, engine: engine, on: sql) } == false)
            #expect(try await rowCount("logs_chunks", in: storage) == 3)
            // One gone: the same.
            try await storage.transaction { sql in try await ChunkStore.delete(ids: [ids[2]], on: sql) }
            #expect(try await storage.transaction { sql in try await ChunkStore.replace(read, stream: stream, with: merged, engine: engine, on: sql) } == false)
            #expect(try await rowCount("logs_chunks", in: storage) == 2)
            // As read: replaced by the one merged chunk.
            let two = Array(read.prefix(2))
            #expect(try await storage.transaction { sql in try await ChunkStore.replace(two, stream: stream, with: merged, engine: engine, on: sql) })
            #expect(try await rowCount("logs_chunks", in: storage) == 1)
        }
    }
}
