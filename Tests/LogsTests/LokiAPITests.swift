import ApusCore
import ApusTesting
import CompressNIO
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logs
import NIOCore
import Testing

/// Loki's push and query API on both engines, as a shipper and Grafana use it.
@Suite struct LokiAPITests {
    struct Created: Decodable { let key: String }

    static var now: Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000_000) }

    static func push(_ streams: [(labels: [String: String], lines: [(Int64, String)])]) -> String {
        let body: [String: Any] = ["streams": streams.map { stream in
            ["stream": stream.labels, "values": stream.lines.map { [String($0.0), $0.1] }]
        }]
        return String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    /// The lines of a streams result, newest first as returned, with their stream's `app`.
    static func lines(_ response: TestResponse) throws -> [String] {
        let data = try #require(try json(response)["data"] as? [String: Any])
        #expect(data["resultType"] as? String == "streams")
        let result = try #require(data["result"] as? [[String: Any]])
        return result.flatMap { stream in ((stream["values"] as? [[String]]) ?? []).map { $0[1] } }
    }

    static func query(_ client: some TestClientProtocol, _ query: String, token: String, extra: String = "", headers: HTTPFields = [:]) async throws -> TestResponse {
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        return try await client.json("/loki/api/v1/query_range?query=\(encoded)\(extra)", .get, token: token, headers: headers)
    }

    @Test(arguments: DatabaseEngine.allCases)
    func pushedLinesAreFoundByLabelsAndTextNewestFirstOrForward(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LogsModule()]) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let base = Self.now - 60_000_000_000
            let body = Self.push([
                (["app": "api", "level": "info"], (0..<5).map { (base + Int64($0) * 1_000_000_000, "GET /items/\($0) 200") }),
                (["app": "api", "level": "error"], [(base + 2_500_000_000, "GET /items/9 500 boom")]),
                (["app": "worker", "level": "info"], [(base + 3_000_000_000, "job done")]),
            ])
            let pushed = try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: body)
            #expect(pushed.status == .noContent)

            // Newest first by default, across the streams the selector picks.
            #expect(try Self.lines(try await Self.query(client, #"{app="api"}"#, token: admin.accessToken)).count == 6)
            let newest = try await Self.query(client, #"{app="api"}"#, token: admin.accessToken, extra: "&limit=3")
            #expect(Set(try Self.lines(newest)) == ["GET /items/4 200", "GET /items/3 200", "GET /items/9 500 boom"])
            let oldest = try await Self.query(client, #"{app="api"}"#, token: admin.accessToken, extra: "&limit=2&direction=forward")
            #expect(try Self.lines(oldest) == ["GET /items/0 200", "GET /items/1 200"])
            #expect(try Self.lines(try await Self.query(client, #"{app=~"api|worker", level!="info"} |= "500""#, token: admin.accessToken)) == ["GET /items/9 500 boom"])
            #expect(try Self.lines(try await Self.query(client, #"{app="api"} != "200" "#, token: admin.accessToken)) == ["GET /items/9 500 boom"])
            #expect(try Self.lines(try await Self.query(client, #"{level="info"} |~ "items/[34]""#, token: admin.accessToken)).sorted() == ["GET /items/3 200", "GET /items/4 200"])
            #expect(try Self.lines(try await Self.query(client, #"{level="info"} !~ "GET""#, token: admin.accessToken)) == ["job done"])
            // A query string as a form sends it: `+` is a space, `%2B` a plus.
            let formEncoded = try await client.json("/loki/api/v1/query_range?query=%7Bapp%3D%22api%22,+level%3D%22error%22%7D+%7C%3D+%22500+boom%22+!%3D+%22a%2Bb%22", .get, token: admin.accessToken)
            #expect(try Self.lines(formEncoded) == ["GET /items/9 500 boom"])
            // Outside the range asked for, nothing.
            let before = try await Self.query(client, #"{app="api"}"#, token: admin.accessToken, extra: "&start=\(base - 10_000_000_000)&end=\(base)")
            #expect(try Self.lines(before).isEmpty)

            let labels = try Self.json(try await client.json("/loki/api/v1/labels", .get, token: admin.accessToken))
            #expect(labels["data"] as? [String] == ["app", "level"])
            let values = try Self.json(try await client.json("/loki/api/v1/label/app/values", .get, token: admin.accessToken))
            #expect(values["data"] as? [String] == ["api", "worker"])
            let series = try Self.json(try await client.json("/loki/api/v1/series?match[]=%7Blevel%3D%22error%22%7D", .get, token: admin.accessToken))
            #expect(series["data"] as? [[String: String]] == [["app": "api", "level": "error"]])
        }
    }

    @Test func aLimitedQueryReadsChunksInTimeOrderAcrossStreamsAndStopsWhenItHasItsLines() async throws {
        try await TestServer.withNode(modules: [LogsModule()]) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let base = Self.now - 600_000_000_000
            func at(_ second: Int) -> Int64 { base + Int64(second) * 1_000_000_000 }
            // Three pushes, three chunks: a's first and last five seconds, b's middle five.
            for (app, seconds) in [("a", 1...5), ("b", 6...10), ("a", 11...15)] {
                let body = Self.push([(["app": app], seconds.map { (at($0), "\(app) \($0)") })])
                #expect(try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: body).status == .noContent)
            }
            let newest = try Self.lines(try await Self.query(client, #"{app=~"a|b"}"#, token: admin.accessToken, extra: "&limit=7&start=\(base)"))
            #expect(newest == ["a 15", "a 14", "a 13", "a 12", "a 11", "b 10", "b 9"])
            let oldest = try Self.lines(try await Self.query(client, #"{app=~"a|b"}"#, token: admin.accessToken, extra: "&limit=6&start=\(base)&direction=forward"))
            #expect(oldest == ["a 1", "a 2", "a 3", "a 4", "a 5", "b 6"])
            let filtered = try Self.lines(try await Self.query(client, #"{app=~"a|b"} |~ " (3|8|13)$""#, token: admin.accessToken, extra: "&limit=2&start=\(base)"))
            #expect(filtered == ["a 13", "b 8"])
            // More chunks than one page of their heads: 300 one-line pushes.
            for second in 100..<400 {
                let body = Self.push([(["app": "c"], [(at(second), "c \(second)")])])
                #expect(try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: body).status == .noContent)
            }
            #expect(try Self.lines(try await Self.query(client, #"{app="c"}"#, token: admin.accessToken, extra: "&limit=3&start=\(base)")) == ["c 399", "c 398", "c 397"])
            #expect(try Self.lines(try await Self.query(client, #"{app="c"}"#, token: admin.accessToken, extra: "&limit=2&start=\(base)&direction=forward")) == ["c 100", "c 101"])
            #expect(try Self.lines(try await Self.query(client, #"{app="c"} |= "c 1""#, token: admin.accessToken, extra: "&limit=1000&start=\(base)")).count == 100)
            #expect(try Self.lines(try await Self.query(client, #"{app="c"}"#, token: admin.accessToken, extra: "&limit=1000&start=\(base)")).count == 300)
        }
    }

    @Test func metricQueriesCountInASlidingWindowAndSumByLabels() async throws {
        try await TestServer.withNode(modules: [LogsModule()]) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            // Whole seconds, so the windows are easy to count by hand.
            let base = (Self.now / 1_000_000_000 - 600) * 1_000_000_000
            let second: Int64 = 1_000_000_000
            let body = Self.push([
                (["app": "api", "level": "info"], [(base + 1 * second, "a"), (base + 2 * second, "bb"), (base + 11 * second, "ccc")]),
                (["app": "api", "level": "error"], [(base + 2 * second, "dddd")]),
            ])
            #expect(try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: body).status == .noContent)
            let window = "&start=\(base)&end=\(base + 20 * second)&step=10s"
            // Points at base, base+10s, base+20s; each counts (t - 10s, t].
            let counted = try Self.json(try await Self.query(client, #"count_over_time({app="api"}[10s])"#, token: admin.accessToken, extra: window))
            let data = try #require(counted["data"] as? [String: Any])
            #expect(data["resultType"] as? String == "matrix")
            let result = try #require(data["result"] as? [[String: Any]])
            let byLevel = Dictionary(uniqueKeysWithValues: result.map { (($0["metric"] as? [String: String])?["level"] ?? "", ($0["values"] as? [[Any]]) ?? []) })
            #expect(byLevel["info"]?.map { $0[1] as? String } == ["2", "1"])
            #expect(byLevel["info"]?.map { ($0[0] as? NSNumber)?.int64Value } == [base / second + 10, base / second + 20])
            #expect(byLevel["error"]?.map { $0[1] as? String } == ["1"])
            let summed = try Self.json(try await Self.query(client, #"sum by (app) (bytes_over_time({app="api"}[10s]))"#, token: admin.accessToken, extra: window))
            let sums = try #require((summed["data"] as? [String: Any])?["result"] as? [[String: Any]])
            #expect(sums.count == 1 && (sums[0]["metric"] as? [String: String]) == ["app": "api"])
            #expect((sums[0]["values"] as? [[Any]])?.map { $0[1] as? String } == ["7", "3"])
            let rate = try Self.json(try await client.json("/loki/api/v1/query?query=\(#"sum(rate({app="api"}[10s]))"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&time=\(base + 10 * second)", .get, token: admin.accessToken))
            let vector = try #require((rate["data"] as? [String: Any])?["result"] as? [[String: Any]])
            // Two streams' rates, 0.2 and 0.1 lines a second, summed.
            let text = try #require((vector.first?["value"] as? [Any])?[1] as? String)
            let value = try #require(Double(text))
            #expect(abs(value - 0.3) < 1e-9)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPartlyBadBatchKeepsTheGoodEntriesAndNamesTheBadOnesInPlainText(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LogsModule()], configure: { $0.settings = Settings(["APUS_LOGS_MAX_STREAMS": "2"]) }) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let now = Self.now
            let body = Self.push([
                (["app": "api"], [(now, "kept"), (now - 30 * 86_400_000_000_000, "too old"), (now + 3_600_000_000_000, "too new")]),
                (["1bad": "x"], [(now, "bad label")]),
                (["app": "web"], [(now, "kept too")]),
                (["app": "third"], [(now, "past the stream limit")]),
            ])
            let response = try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: body)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
            let text = String(buffer: response.body)
            #expect(text.contains("2 entries stored") && text.contains("too old") && text.contains("too new") && text.contains("1bad") && text.contains("limit of 2 streams"), "\(text)")
            #expect(try Self.lines(try await Self.query(client, #"{app=~".+"}"#, token: admin.accessToken)).sorted() == ["kept", "kept too"])
            // Not a push at all: nothing stored, a plain-text 400.
            let malformed = try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: #"{"streams": 3}"#)
            #expect(malformed.status == .badRequest && String(buffer: malformed.body).contains("streams"))
            let parse = try await Self.query(client, #"{app="api"} | line_format "{{.x}}""#, token: admin.accessToken)
            #expect(parse.status == .badRequest && String(buffer: parse.body).hasPrefix("parse error at line 1, col 15"), "\(String(buffer: parse.body))")
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPushOfManyStreamsKeepsEachLineInItsOwnStreamUpToTheLimit(_ engine: DatabaseEngine) async throws {
        // Past the store's statements of 500 rows, with a label set sent twice in one push.
        try await TestServer.withNode(engine: engine, modules: [LogsModule()], configure: { $0.settings = Settings(["APUS_LOGS_MAX_STREAMS": "1100"]) }) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let now = Self.now
            let name = { (index: Int) in "s\(1000 + index)" }
            var streams = (0..<1_050).map { index in (labels: ["s": name(index)], lines: [(now - Int64(index), "line of \(name(index))")]) }
            streams.append((["s": name(7)], [(now - 5_000, "line of \(name(7)), sent apart")]))
            #expect(try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: Self.push(streams)).status == .noContent)
            // Fifty streams already stored, a hundred new of which fifty fit.
            let second = (1_000..<1_150).map { index in (labels: ["s": name(index)], lines: [(now - 10_000 - Int64(index), "line of \(name(index))")]) }
            let refused = try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: Self.push(second))
            #expect(refused.status == .badRequest && String(buffer: refused.body).hasPrefix("100 entries stored"), "\(String(buffer: refused.body))")

            let found = try await Self.query(client, #"{s=~".+"}"#, token: admin.accessToken, extra: "&limit=5000&start=\(now - 3_600_000_000_000)")
            let data = try #require(try Self.json(found)["data"] as? [String: Any])
            let result = try #require(data["result"] as? [[String: Any]])
            var lines = 0
            for stream in result {
                let label = try #require((stream["stream"] as? [String: String])?["s"])
                for value in try #require(stream["values"] as? [[String]]) {
                    #expect(value[1].hasPrefix("line of \(label)"), "\(value[1]) in stream \(label)")
                    lines += 1
                }
            }
            #expect(result.count == 1_100)
            #expect(lines == 1_051 + 100)
            let seven = try await Self.query(client, #"{s="s1007"}"#, token: admin.accessToken)
            #expect(try Self.lines(seven).count == 2)
        }
    }

    @Test func gzipBodiesBatchesPastOneMiBAndShippersWithOnlyBasicAuth() async throws {
        try await TestServer.withNode(modules: [LogsModule()], configure: { $0.settings = Settings(["APUS_LOGS_MAX_BODY_BYTES": String(4 << 20)]) }) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let key = try await client.json("/v1/api-keys", .post, token: admin.accessToken, body: #"{"name":"promtail","scopes":["logs.write"]}"#).decoded(Created.self).key
            let basic = "Basic " + Data("tenant:\(key)".utf8).base64EncodedString()
            let now = Self.now
            // About 2 MiB of lines, gzipped.
            let lines = (0..<10_000).map { (now - Int64(10_000 - $0) * 1_000_000, "request \($0) " + String(repeating: "x", count: 190)) }
            var raw = ByteBuffer(string: Self.push([(["app": "bulk"], lines)]))
            #expect(raw.readableBytes > 1 << 20)
            let gzipped = try raw.compress(with: .gzip())
            let pushed = try await client.execute(uri: "/loki/api/v1/push", method: .post, headers: [.authorization: basic, .contentType: "application/json", .contentEncoding: "gzip"], body: gzipped)
            #expect(pushed.status == .noContent, "\(String(buffer: pushed.body))")
            let plain = try await client.execute(uri: "/loki/api/v1/push", method: .post, headers: [.authorization: basic, .contentType: "application/json"], body: ByteBuffer(string: Self.push([(["app": "bulk"], lines)])))
            #expect(plain.status == .noContent)
            // The key may write, not read; the admin reads what was pushed under the key's owner.
            #expect(try await client.execute(uri: "/loki/api/v1/labels", method: .get, headers: [.authorization: basic]).status == .forbidden)
            let found = try await Self.query(client, #"{app="bulk"} |= "request 9999 ""#, token: admin.accessToken)
            #expect(try Self.lines(found).count == 2)
            // Past the route's limit, and a body that is not gzip at all.
            let huge = try await client.execute(uri: "/loki/api/v1/push", method: .post, headers: [.authorization: basic], body: ByteBuffer(repeating: 0x20, count: 5 << 20))
            #expect(huge.status == .contentTooLarge && huge.headers[.contentType] == "text/plain; charset=utf-8")
            let notGzip = try await client.execute(uri: "/loki/api/v1/push", method: .post, headers: [.authorization: basic, .contentEncoding: "gzip"], body: ByteBuffer(string: "{}"))
            #expect(notGzip.status == .badRequest)
        }
    }

    @Test func eachUserIsATenantAndOnlyAnAdminPicksOne() async throws {
        try await TestServer.withNode(modules: [LogsModule()]) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let alice = try await client.signedIn("alice@example.com", roles: [.editor], server: server)
            let bob = try await client.signedIn("bob@example.com", roles: [.editor], server: server)
            #expect(try await client.json("/loki/api/v1/push", .post, token: alice.accessToken, body: Self.push([(["app": "a"], [(Self.now, "alice's")])])).status == .noContent)
            #expect(try Self.lines(try await Self.query(client, #"{app="a"}"#, token: alice.accessToken)) == ["alice's"])
            #expect(try Self.lines(try await Self.query(client, #"{app="a"}"#, token: bob.accessToken)).isEmpty)
            #expect(try await client.json("/loki/api/v1/labels", .get, token: bob.accessToken, headers: [HTTPField.Name("X-Scope-OrgID")!: "someone"]).status == .forbidden)
            let me = try await client.json("/v1/auth/me", .get, token: alice.accessToken)
            let aliceID = try #require(try Self.json(me)["id"] as? String)
            let asAdmin = try await client.json("/loki/api/v1/query_range?query=%7Bapp%3D%22a%22%7D", .get, token: admin.accessToken, headers: [HTTPField.Name("X-Scope-OrgID")!: aliceID])
            #expect(try Self.lines(asAdmin) == ["alice's"])
            // A viewer holds neither permission; nobody anonymous gets in.
            let viewer = try await client.signedIn("viewer@example.com", server: server)
            #expect(try await client.json("/loki/api/v1/labels", .get, token: viewer.accessToken).status == .forbidden)
            let anonymous = try await client.json("/loki/api/v1/labels", .get)
            #expect(anonymous.status == .unauthorized && anonymous.headers[.contentType] == "text/plain; charset=utf-8")
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func parsedFieldsAreLabelsToFilterGroupAndAnswerBy(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LogsModule()]) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let base = Self.now - 60_000_000_000
            let requests = [("GET", 200, 0.01), ("GET", 502, 0.5), ("POST", 201, 0.2), ("POST", 503, 1.5), ("GET", 404, 0.02)]
            let body = Self.push([
                (["app": "api"], requests.enumerated().map { index, request in
                    (base + Int64(index) * 1_000_000_000, #"{"method": "\#(request.0)", "status": \#(request.1), "took": \#(request.2)}"#)
                } + [(base + 9_000_000_000, "panic: not json")]),
                (["app": "worker"], [(base, "level=error msg=\"queue full\" queue=mail"), (base + 1, "level=info msg=drained queue=mail")]),
            ])
            #expect(try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: body).status == .noContent)

            // Server errors, each answered as a stream of its labels with what was extracted.
            let failed = try Self.json(try await Self.query(client, #"{app="api"} | json | status >= 500"#, token: admin.accessToken, extra: "&direction=forward"))
            let streams = try #require((failed["data"] as? [String: Any])?["result"] as? [[String: Any]])
            #expect(streams.map { $0["stream"] as? [String: String] } == [
                ["app": "api", "method": "GET", "status": "502", "took": "0.5"], ["app": "api", "method": "POST", "status": "503", "took": "1.5"],
            ])
            #expect(try Self.lines(try await Self.query(client, #"{app="api"} | json | took > 0.1 | method="POST""#, token: admin.accessToken, extra: "&direction=forward")).count == 2)
            // The line that is not JSON stays, marked, until __error__="" drops it.
            let marked = try Self.lines(try await Self.query(client, #"{app="api"} | json | __error__!="""#, token: admin.accessToken))
            #expect(marked == ["panic: not json"])
            #expect(try Self.lines(try await Self.query(client, #"{app="api"} | json | __error__="""#, token: admin.accessToken)).count == 5)
            #expect(try Self.lines(try await Self.query(client, #"{app="worker"} | logfmt | level="error""#, token: admin.accessToken)) == [#"level=error msg="queue full" queue=mail"#])

            // Metrics grouped by an extracted label.
            let end = Self.now
            let metric = try Self.json(try await Self.query(
                client, #"sum by (method) (count_over_time({app="api"} | json | __error__="" [10m]))"#, token: admin.accessToken,
                extra: "&start=\(end - 60_000_000_000)&end=\(end)&step=60"
            ))
            let series = try #require((metric["data"] as? [String: Any])?["result"] as? [[String: Any]])
            var lastByMethod: [String: String] = [:]
            for item in series {
                let method = try #require((item["metric"] as? [String: String])?["method"])
                lastByMethod[method] = ((item["values"] as? [[Any]])?.last?[1] as? String)
            }
            #expect(lastByMethod == ["GET": "3", "POST": "2"])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aLabelValueHoldingNULIsRefusedAndTheRestKept(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LogsModule()]) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let now = Self.now
            let body = #"{"streams":[{"stream":{"app":"a\u0000b"},"values":[["\#(now)","x"]]},{"stream":{"app":"ok"},"values":[["\#(now)","kept"]]}]}"#
            let pushed = try await client.json("/loki/api/v1/push", .post, token: admin.accessToken, body: body)
            #expect(pushed.status == .badRequest)
            #expect(String(buffer: pushed.body).contains("NUL"))
            #expect(try Self.lines(try await Self.query(client, #"{app="ok"}"#, token: admin.accessToken)) == ["kept"])
        }
    }
}
