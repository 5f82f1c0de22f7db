import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logs
import Testing

/// With `APUS_LOGS_SELF=on` the node's own lines are stored, and a request sent with a
/// `traceparent` is followed through every line it caused.
@Suite(.serialized) struct TraceTests {
    struct Trace: Decodable {
        struct Line: Decodable { let labels: [String: String]; let line: String; let metadata: [String: String] }
        let traceId: String
        let lines: [Line]
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aRequestWithATraceparentIsFollowedThroughTheLinesItCaused(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LogsModule()], live: true, configure: { $0.settings = Settings(["APUS_LOGS_SELF": "on"]) }) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let viewer = try await client.signedIn("viewer@example.com", server: server)
            let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
            let traceparent: HTTPFields = [HTTPField.Name("traceparent")!: "00-\(trace)-00f067aa0ba902b7-01"]
            // A refresh token used twice: the second use is logged, as a stolen token would be.
            let refresh = #"{"refresh_token":"\#(viewer.refreshToken)"}"#
            #expect(try await client.json("/v1/auth/refresh", .post, body: refresh).status == .ok)
            #expect(try await client.json("/v1/auth/refresh", .post, body: refresh, headers: traceparent).status == .unauthorized)
            var found: Trace?
            try await expectEventually {
                found = try await client.json("/v1/logs/trace/\(trace)", .get, token: admin.accessToken).decoded(Trace.self)
                return found?.lines.isEmpty == false
            }
            let line = try #require(found?.lines.first)
            #expect(line.line.hasPrefix("refresh token reused; session revoked"))
            #expect(line.labels["app"] == "apus" && line.labels["level"] == "warning" && line.labels["node"] == server.platform.node)
            #expect(line.metadata["trace_id"] == trace && line.metadata["request_id"] != nil)
            // A trace of nothing is empty; a user who is no admin sees only their own lines.
            #expect(try await client.json("/v1/logs/trace/0af7651916cd43dd8448eb211c80319c", .get, token: admin.accessToken).decoded(Trace.self).lines.isEmpty)
            let editor = try await client.signedIn("editor@example.com", roles: [.editor], server: server)
            #expect(try await client.json("/v1/logs/trace/\(trace)", .get, token: editor.accessToken).decoded(Trace.self).lines.isEmpty)
            #expect(try await client.json("/v1/logs/trace/not%20an%20id", .get, token: admin.accessToken).status == .badRequest)
        }
    }
}
