import ApusCore
import ApusTesting
import Foundation
import HummingbirdTesting
import Logs
import SQLKit
import Testing

/// A `|=` literal that a chunk's 4-grams rule out skips the chunk unread, on both engines.
@Suite struct SubstringSkipTests {
    @Test(arguments: DatabaseEngine.allCases)
    func aChunkWhoseGramsRuleOutTheLiteralIsNotReadAndOneWithoutGramsIs(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LogsModule()]) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let now = LokiAPITests.now
            let body = LokiAPITests.push([
                (["app": "api"], (0..<50).map { (now - 1_000_000 * Int64($0), "GET /items/\($0) 200 trace=\(String($0 * 7919, radix: 16))") }),
                (["app": "web"], [(now - 5, "GET /cart 500 OutOfMemoryError at worker 3")]),
            ])
            #expect(try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: body).status == .noContent)
            let storage = try server.platform.ownDatabase(for: LogsModule.name)
            // The api chunk is damaged: reading it fails the query, so an answer means it was skipped.
            try await storage.transaction { sql in
                try await sql.raw("""
                    UPDATE logs_chunks SET data = \(bind: Data([0, 1, 2, 3])) WHERE stream_id = (SELECT id FROM logs_streams WHERE labels = '{app="api"}')
                    """).run()
            }
            let found = try await LokiAPITests.query(client, #"{app=~".+"} |= "OutOfMemory""#, token: admin.accessToken)
            #expect(found.status == .ok)
            #expect(try LokiAPITests.lines(found) == ["GET /cart 500 OutOfMemoryError at worker 3"])
            // A literal the api chunk may hold: it is read, and its damage shows.
            let damaged = try await LokiAPITests.query(client, #"{app=~".+"} |= "GET /items""#, token: admin.accessToken)
            #expect(damaged.status.code >= 500)
            // A chunk stored before chunks had grams is always read.
            try await storage.transaction { sql in try await sql.raw("UPDATE logs_chunks SET grams = NULL").run() }
            let unfiltered = try await LokiAPITests.query(client, #"{app=~".+"} |= "OutOfMemory""#, token: admin.accessToken)
            #expect(unfiltered.status.code >= 500)
        }
    }
}
