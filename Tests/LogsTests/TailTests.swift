import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logs
import Testing

/// Loki's live tail over a WebSocket, as Grafana and logcli open it: history first, then every
/// push's kept lines, on whichever node the push landed; bad requests close the socket.
@Suite struct TailTests {
    static func tailPath(_ query: String, _ extra: String = "") -> String {
        "/loki/api/v1/tail?query=" + query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + extra
    }

    /// The (labels, lines) of a tail frame.
    static func streams(_ frame: String?) throws -> [([String: String], [String])] {
        let text = try #require(frame)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object.keys.contains("dropped_entries"))
        let streams = try #require(object["streams"] as? [[String: Any]])
        return try streams.map { stream in
            let values = try #require(stream["values"] as? [[String]])
            #expect(values.allSatisfy { Int64($0[0]) != nil })
            return (try #require(stream["stream"] as? [String: String]), values.map { $0[1] })
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aTailGetsItsHistoryThenEachPushFromAnyNode(_ engine: DatabaseEngine) async throws {
        try await TestServer.withTwoServers(engine: engine, modules: [LogsModule()]) { first, second in
            let (server, client) = first
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let base = LokiAPITests.now - 10_000_000_000
            let history = LokiAPITests.push([
                (["app": "api"], [(base, "GET /1"), (base + 1, "GET /2"), (base + 2, "GET /3")]), (["app": "web"], [(base, "GET /w")]),
            ])
            #expect(try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: history).status == .noContent)

            let port = try #require(second.1.port)
            try await TestSocket.connect(
                port: port, path: Self.tailPath(#"{app="api"} |= "GET""#, "&limit=2&delay_for=0"), headers: [.authorization: "Bearer \(admin.accessToken)"]
            ) { socket in
                // The newest two of the history, oldest first.
                let past = try Self.streams(try await socket.next())
                #expect(past.map(\.0) == [["app": "api"]])
                #expect(past.map(\.1) == [["GET /2", "GET /3"]])
                // A push on the other node: only what the selection keeps arrives.
                let now = LokiAPITests.now
                let live = LokiAPITests.push([
                    (["app": "api"], [(now, "POST /4"), (now + 1, "GET /5")]), (["app": "web"], [(now, "GET /x")]),
                ])
                #expect(try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: live).status == .noContent)
                let next = try Self.streams(try await socket.next())
                #expect(next.map(\.0) == [["app": "api"]])
                #expect(next.map(\.1) == [["GET /5"]])
            }
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPipelineShapesTheTailAndBadRequestsCloseIt(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LogsModule()], live: true) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let viewer = try await client.signedIn("viewer@example.com", roles: [.viewer], server: server)
            let port = try #require(client.port)
            try await TestSocket.connect(
                port: port, path: Self.tailPath(#"{app="api"} | json | status >= 500"#), headers: [.authorization: "Bearer \(admin.accessToken)"]
            ) { socket in
                let now = LokiAPITests.now
                let lines = LokiAPITests.push([(["app": "api"], [(now, #"{"status": 200}"#), (now + 1, #"{"status": 503}"#)])])
                #expect(try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: lines).status == .noContent)
                let frame = try Self.streams(try await socket.next())
                #expect(frame.map(\.0) == [["app": "api", "status": "503"]])
                #expect(frame.map(\.1) == [[#"{"status": 503}"#]])
            }
            // A metric query, a query that does not parse, a viewer, another tenant for a non-admin.
            let refusals: [(String, String, UInt16)] = [
                (Self.tailPath(#"count_over_time({app="api"}[1m])"#), admin.accessToken, 1008),
                (Self.tailPath(#"{app="api""#), admin.accessToken, 1008),
                (Self.tailPath(#"{app="api"}"#), viewer.accessToken, 4403),
            ]
            for (path, token, code) in refusals {
                let close = try await TestSocket.connect(port: port, path: path, headers: [.authorization: "Bearer \(token)"]) { socket in
                    let frames = try await socket.drain()
                    #expect(frames.isEmpty)
                }
                #expect(close?.closeCode == .init(codeNumber: Int(code)), "\(path)")
            }
        }
    }
}
