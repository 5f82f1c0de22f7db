@testable import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Logging
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct ObservabilityTests {
    static let requestID = HTTPField.Name("X-Request-ID")!

    @Test func aSaneRequestIDIsEchoedAndAnInsaneOneReplaced() async throws {
        try await TestServer.withServer { _, client in
            let kept = try await client.execute(uri: "/health/live", method: .get, headers: [Self.requestID: "abc-123.x_y"])
            #expect(kept.headers[Self.requestID] == "abc-123.x_y")
            let replaced = try await client.execute(uri: "/health/live", method: .get, headers: [Self.requestID: "bad id\u{7}"])
            #expect(replaced.headers[Self.requestID]?.count == 32)
            let generated = try await client.execute(uri: "/health/live", method: .get)
            #expect(generated.headers[Self.requestID]?.count == 32)
            #expect(generated.headers[Self.requestID] != replaced.headers[Self.requestID])
        }
    }

    @Test func logLinesCarryTheRequestAndTraceIDs() async throws {
        let lines = LogLines()
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        try await TestServer.withServer(logSink: lines.sink) { _, client in
            let response = try await client.execute(
                uri: "/v1/echo/hello", method: .get,
                headers: [Self.requestID: "trace-me", .init("traceparent")!: traceparent]
            )
            #expect(String(buffer: response.body) == "hello")
        }
        let line = try #require(lines.all.first { $0.contains("echoing") })
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(fields["request_id"] as? String == "trace-me")
        #expect(fields["trace_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(fields["level"] as? String == "info")
        #expect((fields["time"] as? String).flatMap(Timestamp.parse) != nil)
    }

    /// The caller is named on every line logged while their request is served (through the
    /// request's scope, so any logger's lines carry it), and only on theirs.
    @Test func logLinesOfAnAuthenticatedRequestNameTheCaller() async throws {
        let lines = LogLines()
        try await TestServer.withServer(logSink: lines.sink) { server, client in
            let tokens = try await client.signedIn("logged@example.com", server: server)
            let userID = try #require(try await server.identity.users.find(email: "logged@example.com")).id
            _ = try await client.execute(uri: "/v1/echo/signed", method: .get, headers: [.authorization: "Bearer \(tokens.accessToken)", Self.requestID: "signed-1"])
            _ = try await client.execute(uri: "/v1/echo/anonymous", method: .get, headers: [Self.requestID: "anonymous-1"])
            let echoed = try lines.all.filter { $0.contains("echoing") }.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            let signed = try #require(echoed.first { $0["request_id"] as? String == "signed-1" })
            #expect(signed["user_id"] as? String == userID)
            let anonymous = try #require(echoed.first { $0["request_id"] as? String == "anonymous-1" })
            #expect(anonymous["user_id"] == nil)
        }
    }

    @Test func anyLoggerWritingWhileARequestIsServedNamesTheRequest() async throws {
        let lines = LogLines()
        // A module's own logger, not the request's: it still names the request it serves.
        var handler = JSONLogHandler(label: "module", sink: lines.sink)
        handler[metadataKey: "hb.request.id"] = "framework-id"
        let logger = Logger(label: "module") { _ in handler }
        await RequestLogScope.$current.withValue(RequestLogScope(requestID: "req-7", traceID: "4bf92f3577b34da6a3ce929d0e0e4736")) {
            await Task.yield()
            logger.info("inside", metadata: ["trace_id": "given"])
        }
        logger.info("outside")
        let inside = try #require(lines.all.first { $0.contains("inside") })
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(inside.utf8)) as? [String: Any])
        #expect(fields["request_id"] as? String == "req-7")
        // What a line says itself wins; the framework's own id gives way to the platform's.
        #expect(fields["trace_id"] as? String == "given")
        #expect(fields["hb.request.id"] == nil)
        let outside = try #require(lines.all.first { $0.contains("outside") })
        #expect(!outside.contains("request_id"))
        #expect(outside.contains("framework-id"))
    }

    @Test func metricsCountRequestsByRouteTemplateWithAHistogram() async throws {
        try await TestServer.withServer { _, client in
            for word in ["a", "b", "c"] {
                _ = try await client.execute(uri: "/v1/echo/\(word)", method: .get)
            }
            _ = try await client.execute(uri: "/random/\(UUID())", method: .get)
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(buffer: response.body)
            #expect(text.contains(#"apus_http_requests_total{method="GET",route="/v1/echo/{word}",status="200"} 3"#))
            #expect(text.contains(#"apus_http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
            #expect(text.contains(#"apus_http_request_duration_seconds_bucket{method="GET",route="/v1/echo/{word}",status="200",le="+Inf"} 3"#))
            #expect(text.contains("# TYPE apus_http_request_duration_seconds histogram"))
            #expect(!text.contains("/v1/echo/a"))
        }
    }

    @Test func traceParentParsingFollowsTheW3CFormat() {
        let parsed = TraceParent(header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        #expect(parsed?.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(parsed?.child().traceID == parsed?.traceID)
        #expect(parsed?.child().parentID != parsed?.parentID)
        #expect(TraceParent(header: "00-00000000000000000000000000000000-00f067aa0ba902b7-01") == nil)
        #expect(TraceParent(header: "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01") == nil)
        #expect(TraceParent(header: "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == nil)
        #expect(TraceParent(header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra") == nil)
        #expect(TraceParent(header: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra") != nil)
        #expect(TraceParent().description.count == 55)
    }

    @Test func jsonLogLinesEscapeEveryControlCharacter() throws {
        let lines = LogLines()
        var handler = JSONLogHandler(label: "x", sink: lines.sink)
        handler[metadataKey: "module"] = "links"
        let logger = Logger(label: "x") { _ in handler }
        logger.info("quote \" slash \\ newline \n bell \u{7}", metadata: ["n": ["a", "b"], "d": ["k": "v"]])
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(fields["message"] as? String == "quote \" slash \\ newline \n bell \u{7}")
        #expect(fields["module"] as? String == "links")
        #expect(fields["n"] as? [String] == ["a", "b"])
        #expect(fields["label"] as? String == "x")
    }
}
