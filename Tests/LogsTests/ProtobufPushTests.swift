import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logs
import NIOCore
import Testing

/// Loki's protobuf push, snappy-compressed, as promtail and Grafana Alloy send it, on both
/// engines: the same streams, limits and answers as a JSON push.
@Suite struct ProtobufPushTests {
    /// The wire format, written by hand as the test's own encoder.
    struct Message {
        var bytes: [UInt8] = []

        static func varint(_ value: UInt64) -> [UInt8] {
            var value = value
            var out: [UInt8] = []
            while value >= 0x80 {
                out.append(UInt8(value & 0x7F) | 0x80)
                value >>= 7
            }
            return out + [UInt8(value)]
        }

        mutating func varint(_ field: Int, _ value: UInt64) {
            bytes += Self.varint(UInt64(field << 3)) + Self.varint(value)
        }

        mutating func bytes(_ field: Int, _ value: [UInt8]) {
            bytes += Self.varint(UInt64(field << 3 | 2)) + Self.varint(UInt64(value.count)) + value
        }

        mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }
    }

    /// A `PushRequest` of `streams`, each entry with optional structured metadata.
    static func push(_ streams: [(labels: String, entries: [(Int64, String, [(String, String)])])]) -> [UInt8] {
        var request = Message()
        for stream in streams {
            var adapter = Message()
            adapter.string(1, stream.labels)
            for (time, line, metadata) in stream.entries {
                var entry = Message()
                var timestamp = Message()
                timestamp.varint(1, UInt64(time / 1_000_000_000))
                timestamp.varint(2, UInt64(time % 1_000_000_000))
                entry.bytes(1, timestamp.bytes)
                entry.string(2, line)
                for (name, value) in metadata {
                    var pair = Message()
                    pair.string(1, name)
                    pair.string(2, value)
                    entry.bytes(3, pair.bytes)
                }
                adapter.bytes(2, entry.bytes)
            }
            adapter.varint(3, 12_345)  // Loki's hash, which the reader ignores
            request.bytes(1, adapter.bytes)
        }
        request.string(5, "a field this reader does not know")
        return request.bytes
    }

    /// Snappy's block format with literals only: valid, if not small.
    static func snappy(_ bytes: [UInt8]) -> [UInt8] {
        var out = Message.varint(UInt64(bytes.count))
        for start in stride(from: 0, to: bytes.count, by: 60_000) {
            let chunk = bytes[start..<min(start + 60_000, bytes.count)]
            let length = chunk.count - 1
            out += [61 << 2, UInt8(length & 0xFF), UInt8(length >> 8)] + chunk
        }
        return out
    }

    static func post(_ client: some TestClientProtocol, _ body: [UInt8], token: String, type: String = "application/x-protobuf") async throws -> TestResponse {
        try await client.execute(
            uri: "/loki/api/v1/push", method: .post,
            headers: [.authorization: "Bearer \(token)", .contentType: type], body: ByteBuffer(bytes: body)
        )
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aSnappyProtobufPushIsStoredAndFoundLikeAJSONOne(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LogsModule()]) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let base = LokiAPITests.now - 30_000_000_000
            let body = Self.push([
                (#"{app="api", level="info", path="/a \"quoted\""}"#, (0..<3).map { (base + Int64($0) * 1_000_000_007, "GET /a \($0) 200", [("trace_id", "t\($0)")]) }),
                (#"{app="api", level="error"}"#, [(base + 5_000_000_000, "GET /b 500", [])]),
            ])
            let pushed = try await Self.post(client, Self.snappy(body), token: admin.accessToken)
            #expect(pushed.status == .noContent, "\(String(buffer: pushed.body))")

            let all = try await LokiAPITests.query(client, #"{app="api"}"#, token: admin.accessToken, extra: "&direction=forward")
            #expect(try LokiAPITests.lines(all) == ["GET /a 0 200", "GET /a 1 200", "GET /a 2 200", "GET /b 500"])
            let series = try LokiAPITests.json(try await client.json("/loki/api/v1/series?match[]=%7Blevel%3D%22info%22%7D", .get, token: admin.accessToken))
            #expect(series["data"] as? [[String: String]] == [["app": "api", "level": "info", "path": #"/a "quoted""#]])

            // Refused as JSON's are: one bad stream and one old entry named, the rest kept.
            let old = LokiAPITests.now - 30 * 86_400 * 1_000_000_000
            let partlyBad = Self.push([
                (#"{app=~"regex"}"#, [(base, "never", [])]),
                (#"{app="worker"}"#, [(base, "kept", []), (old, "too old", [])]),
            ])
            let refused = try await Self.post(client, Self.snappy(partlyBad), token: admin.accessToken)
            #expect(refused.status == .badRequest)
            let text = String(buffer: refused.body)
            #expect(text.contains("1 entries stored"), "\(text)")
            #expect(text.contains("stream 0: labels"), "\(text)")
            #expect(text.contains("timestamp too old"), "\(text)")
            #expect(try LokiAPITests.lines(try await LokiAPITests.query(client, #"{app="worker"}"#, token: admin.accessToken)) == ["kept"])
        }
    }

    @Test func bodiesThatAreNotSnappyOrNotAPushAreA400AndOtherTypesA415() async throws {
        try await TestServer.withNode(modules: [LogsModule()]) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let raw = Self.push([(#"{app="x"}"#, [(LokiAPITests.now, "line", [])])])
            // Protobuf sent without snappy, snappy around bytes that are no push, a lying length.
            for body in [raw, Self.snappy([0x12, 0x05, 0x61]), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]] {
                let answer = try await Self.post(client, body, token: admin.accessToken)
                #expect(answer.status == .badRequest, "\(String(buffer: answer.body))")
            }
            #expect(try await Self.post(client, Self.snappy(raw), token: admin.accessToken, type: "text/plain").status == .unsupportedMediaType)
            #expect(try await Self.post(client, Self.snappy(raw), token: admin.accessToken).status == .noContent)
        }
    }
}
