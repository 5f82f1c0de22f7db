import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Logs
import NIOCore
import Testing

/// Elasticsearch's bulk API, as rsyslog, syslog-ng, Filebeat and Vector send it.
@Suite struct BulkAPITests {
    static func lines(_ client: some TestClientProtocol, _ query: String, token: String) async throws -> [String] {
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let response = try await client.json("/loki/api/v1/query_range?query=\(encoded)&direction=forward", .get, token: token)
        let body = try #require(JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
        let result = try #require((body["data"] as? [String: Any])?["result"] as? [[String: Any]])
        return result.flatMap { ($0["values"] as? [[String]] ?? []).map { $0[1] } }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func documentsBecomeLinesLabelledByIndexAndFieldsAndEachItemHasItsStatus(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LogsModule()]) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let now = Date()
            let stamp = Timestamp.format(now.addingTimeInterval(-5))
            let old = Timestamp.format(now.addingTimeInterval(-30 * 86_400))
            let ndjson = [
                #"{"index":{"_index":"syslog"}}"#,
                #"{"@timestamp":"\#(stamp)","message":"sshd: accepted key","host":{"name":"web-1"},"program":"sshd","trace":{"id":"4bf92f3577b34da6a3ce929d0e0e4736"}}"#,
                #"{"create":{}}"#,
                #"{"@timestamp":"\#(stamp)","level":"error","service":"billing","amount":3}"#,
                #"{"index":{"_index":"syslog"}}"#,
                #"{"@timestamp":"\#(old)","message":"too old"}"#,
                #"{"delete":{"_index":"syslog","_id":"1"}}"#,
                #"{"index":{"_index":"syslog"}}"#,
                #"not json"#,
                // An index name it refuses comes back in the answer, escaped.
                #"{"index":{"_index":"Bad \"name\"\\\n"}}"#,
                #"{"message":"x"}"#,
            ].joined(separator: "\n") + "\n"
            let response = try await client.execute(
                uri: "/app/_bulk", method: .post, headers: [.authorization: "Bearer \(admin.accessToken)", .contentType: "application/x-ndjson"], body: ByteBuffer(string: ndjson)
            )
            #expect(response.status == .ok)
            let body = try #require(JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            #expect(body["errors"] as? Bool == true)
            let items = try #require(body["items"] as? [[String: [String: Any]]])
            #expect(items.map { $0.keys.first } == ["index", "create", "index", "delete", "index", "index"])
            #expect(items.map { $0.values.first?["status"] as? Int } == [201, 201, 400, 400, 400, 400])
            #expect(items.map { $0.values.first?["_index"] as? String } == ["syslog", "app", "syslog", "syslog", "syslog", "Bad \"name\"\\\n"])
            // Stored items have distinct ids and numbers in the answer's order.
            let ids = items.prefix(2).compactMap { $0.values.first?["_id"] as? String }
            #expect(ids.count == 2 && Set(ids).count == 2)
            #expect(items.prefix(2).map { $0.values.first?["_seq_no"] as? Int } == [0, 1])
            #expect(((items[2]["index"]?["error"] as? [String: Any])?["reason"] as? String)?.contains("too old") == true)
            #expect(((items[4]["index"]?["error"] as? [String: Any])?["type"] as? String) == "document_parsing_exception")

            #expect(try await Self.lines(client, #"{index="syslog", host_name="web-1", program="sshd"}"#, token: admin.accessToken) == ["sshd: accepted key"])
            // A document without a message is kept whole.
            let billing = try await Self.lines(client, #"{index="app", service="billing", level="error"}"#, token: admin.accessToken)
            #expect(billing.count == 1 && billing[0].contains(#""amount":3"#))
        }
    }

    @Test func aBodyIsReadLineByLineSkippingBlankOnes() {
        let body = Array("{\"a\":1}\n\n  \t\r\n{\"b\":2}\r\n\nlast".utf8)
        #expect(BulkRequest.lines(of: body).map { String(decoding: $0, as: UTF8.self) } == ["{\"a\":1}", "{\"b\":2}\r", "last"])
        #expect(BulkRequest.lines(of: []).isEmpty)
        #expect(BulkRequest.lines(of: Array("\n\n".utf8)).isEmpty)
    }

    @Test func errorsOnTheBulkPathsComeInElasticsearchsShape() async throws {
        try await TestServer.withNode(modules: [LogsModule()]) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            struct ESError: Decodable {
                struct Detail: Decodable { let type: String; let reason: String }
                let error: Detail
                let status: Int
            }
            let malformed = try await client.execute(uri: "/_bulk", method: .post, headers: [.authorization: "Bearer \(admin.accessToken)"], body: ByteBuffer(string: "[1]\n{}\n"))
            #expect(malformed.status == .badRequest)
            let error = try APIJSON.decoder.decode(ESError.self, from: Data(buffer: malformed.body))
            #expect(error.status == 400 && error.error.reason.contains("Malformed action"))
            let anonymous = try await client.execute(uri: "/logs-2026/_bulk", method: .post, headers: [:], body: ByteBuffer(string: "{}\n"))
            #expect(anonymous.status == .unauthorized)
            #expect(try APIJSON.decoder.decode(ESError.self, from: Data(buffer: anonymous.body)).error.type == "security_exception")
            // Without an index anywhere, the item is refused, not the request.
            let noIndex = try await client.execute(uri: "/_bulk", method: .post, headers: [.authorization: "Bearer \(admin.accessToken)"], body: ByteBuffer(string: "{\"index\":{}}\n{\"message\":\"x\"}\n"))
            #expect(noIndex.status == .ok && String(buffer: noIndex.body).contains("index is missing"))
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func underItsOwnRootTheBulkAPIAnswersTheVersionProbeShippersSendFirst(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LogsModule()]) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let auth: HTTPFields = [.authorization: "Bearer \(admin.accessToken)"]
            struct Root: Decodable {
                struct Version: Decodable { let number: String }
                let version: Version
            }
            for path in ["/elasticsearch", "/elasticsearch/"] {
                let root = try await client.execute(uri: path, method: .get, headers: auth)
                #expect(root.status == .ok && root.headers[HTTPField.Name("X-Elastic-Product")!] == "Elasticsearch", "\(path)")
                #expect(try APIJSON.decoder.decode(Root.self, from: Data(buffer: root.body)).version.number.hasPrefix("9."))
            }
            let anonymous = try await client.execute(uri: "/elasticsearch", method: .get, headers: [:])
            #expect(anonymous.status == .unauthorized && String(buffer: anonymous.body).contains("security_exception"))

            let ndjson = "{\"index\":{}}\n{\"message\":\"under the root\",\"host\":\"h1\"}\n{\"create\":{\"_index\":\"other\"}}\n{\"message\":\"elsewhere\"}\n"
            let shipped = try await client.execute(uri: "/elasticsearch/app/_bulk", method: .post, headers: auth, body: ByteBuffer(string: ndjson))
            #expect(shipped.status == .ok && String(buffer: shipped.body).contains("\"errors\":false"), "\(String(buffer: shipped.body))")
            let query = #"{index="app"}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let found = try await client.execute(uri: "/loki/api/v1/query_range?query=\(query)", method: .get, headers: auth)
            #expect(String(buffer: found.body).contains("under the root") && !String(buffer: found.body).contains("elsewhere"))
        }
    }
}
