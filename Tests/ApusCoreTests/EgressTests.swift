@testable import ApusCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Synchronization
import Testing

@Suite struct EgressTests {
    // MARK: Policy

    @Test(arguments: [
        "http://127.0.0.1/", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/",
        "http://localhost/", "http://LOCALHOST./", "http://[::ffff:127.0.0.1]/", "http://[::ffff:a9fe:a9fe]/", "http://0.0.0.0/",
        "http://100.64.0.1/", "http://192.168.1.1/", "http://172.16.0.1/", "http://[fe80::1]/", "http://[fd00::1]/",
        "http://224.0.0.1/", "http://[64:ff9b::a00:1]/", "http://2130706433/",
    ])
    func internalDestinationsAreRefused(url: String) async throws {
        let policy = try EgressPolicy()
        await #expect(refusal(of: url, by: policy) == "refused")
    }

    @Test func onlyHTTPAndHTTPSAreSpoken() async throws {
        let policy = try EgressPolicy()
        await #expect(refusal(of: "ftp://example.com/file", by: policy) == "refused")
        await #expect(refusal(of: "file:///etc/passwd", by: policy) == "refused")
        await #expect(refusal(of: "not a url", by: policy) == "invalid_url")
        await #expect(refusal(of: "http:///path", by: policy) == "invalid_url")
    }

    @Test func publicAddressesPassAndPlainHTTPIsPinnedToTheCheckedAddress() async throws {
        let policy = try EgressPolicy()
        let destination = try await policy.check("http://93.184.216.34:8080/a?b=c")
        #expect(destination.authority == "93.184.216.34:8080")
        #expect(destination.requestURL == "http://93.184.216.34:8080/a?b=c")
        let v6 = try await policy.check("https://[2606:4700::1]/")
        #expect(v6.authority == "[2606:4700::1]:443")
        #expect(v6.pinnedAddress == nil)
    }

    @Test func theAllowListOpensHostNamesAndAddressBlocks() async throws {
        let policy = try EgressPolicy(allow: ["localhost", " 10.0.0.0/8 ", "fd00::/8", "192.168.1.5"])
        #expect(try await policy.check("http://localhost:9/").pinnedAddress == nil)
        #expect(try await policy.check("http://10.20.30.40/").authority == "10.20.30.40:80")
        #expect(try await policy.check("http://[fd00::5]/").authority == "[fd00::5]:80")
        #expect(try await policy.check("http://[::ffff:10.1.1.1]/").port == 80)
        #expect(try await policy.check("http://192.168.1.5/").host == "192.168.1.5")
        await #expect(refusal(of: "http://192.168.1.6/", by: policy) == "refused")
        await #expect(refusal(of: "http://127.0.0.1/", by: policy) == "refused")
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0.0/", "300.1.1.1", "fe80::/129", "not a host!", "http://example.com", "-bad.example"])
    func aBadAllowListEntryIsNamed(entry: String) {
        #expect {
            try EgressPolicy(allow: ["ok.example", entry])
        } throws: { error in
            guard let error = error as? EgressAllowListError else { return false }
            return error.entry == entry && error.description.hasPrefix("invalid configuration: APUS_EGRESS_ALLOW: '\(entry)' is not")
        }
    }

    @Test func theAllowListIsReadFromTheEnvironment() throws {
        let policy = try EgressPolicy.fromEnvironment(["APUS_EGRESS_ALLOW": "Hooks.Internal., 10.0.0.0/8,,"])
        #expect(policy.allowedHosts == ["hooks.internal"])
        #expect(policy.allowedNetworks == [IPNetwork("10.0.0.0/8")!])
        #expect(try EgressPolicy.fromEnvironment([:]).allowedHosts.isEmpty)
    }

    @Test func addressesInsideTranslatedIPv6FormsAreJudgedAsIPv4() throws {
        #expect(InternalAddresses.contains(try #require(IPAddress("::ffff:10.0.0.1"))))
        #expect(InternalAddresses.contains(try #require(IPAddress("64:ff9b::169.254.169.254"))))
        #expect(InternalAddresses.contains(try #require(IPAddress("2002:7f00:1::"))))
        #expect(!InternalAddresses.contains(try #require(IPAddress("::ffff:8.8.8.8"))))
        #expect(!InternalAddresses.contains(try #require(IPAddress("8.8.8.8"))))
        #expect(!InternalAddresses.contains(try #require(IPAddress("2606:4700::1111"))))
        #expect(IPAddress("0x7f.1") == nil)
        #expect(IPAddress("[fe80::1%eth0]") == IPAddress("fe80::1"))
        #expect(IPNetwork("0.0.0.0/0")!.contains(.v4(0xffff_ffff)))
        #expect(!IPNetwork("0.0.0.0/0")!.contains(IPAddress("::1")!))
    }

    // MARK: Live calls

    @Test func aLoopbackTargetIsReachedWhenItsBlockIsAllowed() async throws {
        try await withTarget { port, target in
            try await withClient(allow: ["127.0.0.1/32"]) { client in
                let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/ok"))
                #expect(response.status == 200)
                #expect(String(decoding: response.body, as: UTF8.self) == "hello")
                #expect(response.attempts == 1)
                #expect(!response.fromCache)
            }
            #expect(target.hits("ok") == 1)
        }
    }

    @Test func aHostNameAllowedByNameIsReached() async throws {
        try await withTarget { port, _ in
            try await withClient(allow: ["localhost"]) { client in
                let response = try await client.execute(EgressRequest(url: "http://localhost:\(port)/ok"))
                #expect(response.status == 200)
            }
        }
    }

    @Test func aResolvedNameIsPinnedAndStillNamedInTheHostHeader() async throws {
        try await withTarget { port, target in
            try await withClient(allow: ["127.0.0.0/8", "::1/128"]) { client in
                let response = try await client.execute(EgressRequest(url: "http://localhost:\(port)/ok"))
                #expect(response.status == 200)
            }
            #expect(target.lastHost == "localhost:\(port)")
        }
    }

    @Test func theClientRefusesLoopbackWithoutSendingAnything() async throws {
        try await withTarget { port, target in
            try await withClient(allow: []) { client in
                await #expect(throws: EgressError.self) {
                    try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/ok"))
                }
                await #expect(throws: EgressError.self) {
                    try await client.execute(EgressRequest(url: "http://localhost:\(port)/ok"))
                }
            }
            #expect(target.hits("ok") == 0)
        }
    }

    @Test func aGETIsRetriedThrough503sUntilItSucceeds() async throws {
        try await withTarget { port, target in
            try await withClient { client in
                let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/flaky"))
                #expect(response.status == 200)
                #expect(response.attempts == 3)
            }
            #expect(target.hits("flaky") == 3)
        }
    }

    @Test func aPOSTWithoutAnIdempotencyKeyIsSentOnce() async throws {
        try await withTarget { port, target in
            try await withClient { client in
                let response = try await client.execute(EgressRequest(method: .post, url: "http://127.0.0.1:\(port)/flaky", body: Array("{}".utf8)))
                #expect(response.status == 503)
                #expect(response.attempts == 1)
            }
            #expect(target.hits("flaky") == 1)
        }
    }

    @Test func aPOSTWithAnIdempotencyKeyIsRetriedWithTheKey() async throws {
        try await withTarget { port, target in
            try await withClient { client in
                let request = EgressRequest(method: .post, url: "http://127.0.0.1:\(port)/flaky", body: Array("{}".utf8), idempotencyKey: "order-42")
                let response = try await client.execute(request)
                #expect(response.status == 200)
                #expect(response.attempts == 3)
            }
            #expect(target.hits("flaky") == 3)
            #expect(target.idempotencyKeys == ["order-42", "order-42", "order-42"])
        }
    }

    @Test func otherClientErrorsAreNeverRetried() async throws {
        try await withTarget { port, target in
            try await withClient { client in
                let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/missing"))
                #expect(response.status == 404)
                #expect(response.attempts == 1)
            }
            #expect(target.hits("missing") == 1)
        }
    }

    @Test func retryAfterIsWaitedFor() async throws {
        try await withTarget { port, target in
            try await withClient { client in
                let start = ContinuousClock.now
                let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/later"))
                #expect(response.status == 200)
                #expect(response.attempts == 2)
                // The backoff alone would wait at most 50 ms.
                #expect(ContinuousClock.now - start >= .seconds(1))
            }
            #expect(target.hits("later") == 2)
        }
    }

    @Test func aRetryAfterLongerThanTheCapIsLeftToTheCaller() async throws {
        let settings = Self.fast { $0.maxRetryAfter = .milliseconds(500) }
        try await withTarget { port, target in
            try await withClient(settings: settings) { client in
                let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/later"))
                #expect(response.status == 503)
                #expect(response.headers[.retryAfter] == "1")
                #expect(response.attempts == 1)
            }
            #expect(target.hits("later") == 1)
        }
    }

    @Test func theCircuitOpensAfterTheThresholdAndFailsFast() async throws {
        let settings = Self.fast {
            $0.maxAttempts = 1
            $0.breakerFailureThreshold = 3
            $0.breakerOpenDuration = .seconds(60)
        }
        let registry = PrometheusCollectorRegistry()
        try await withTarget { port, target in
            try await withClient(settings: settings, metrics: registry) { client in
                for _ in 0..<3 {
                    let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/broken"))
                    #expect(response.status == 500)
                }
                await #expect(throws: EgressError.circuitOpen(host: "127.0.0.1:\(port)")) {
                    try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/broken"))
                }
            }
            #expect(target.hits("broken") == 3)
            let exposition = registry.emitToString()
            #expect(exposition.contains(#"apus_egress_circuit_state{host="127.0.0.1:\#(port)"} 2"#))
            #expect(exposition.contains(#"apus_egress_requests_total{host="127.0.0.1:\#(port)",outcome="server_error"} 3"#))
            #expect(exposition.contains(#"apus_egress_requests_total{host="127.0.0.1:\#(port)",outcome="circuit_open"} 1"#))
        }
    }

    @Test func anOpenCircuitLetsATrialThroughAfterItsPauseAndCloses() async throws {
        let settings = Self.fast {
            $0.maxAttempts = 1
            $0.breakerFailureThreshold = 2
            $0.breakerOpenDuration = .milliseconds(200)
        }
        let registry = PrometheusCollectorRegistry()
        try await withTarget { port, target in
            try await withClient(settings: settings, metrics: registry) { client in
                for _ in 0..<2 { _ = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/broken")) }
                await #expect(throws: EgressError.circuitOpen(host: "127.0.0.1:\(port)")) {
                    try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/ok"))
                }
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/ok")).status == 200)
            }
            #expect(target.hits("ok") == 1)
            #expect(registry.emitToString().contains(#"apus_egress_circuit_state{host="127.0.0.1:\#(port)"} 0"#))
        }
    }

    @Test func anUnchangedResourceIsServedFromTheETagCache() async throws {
        try await withTarget { port, target in
            try await withClient { client in
                let first = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/tagged"))
                #expect(first.status == 200)
                #expect(!first.fromCache)
                let second = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/tagged"))
                #expect(second.status == 200)
                #expect(second.fromCache)
                #expect(second.body == first.body)
                #expect(second.headers[.eTag] == #""v1""#)
                // Another identity does not share the entry.
                let other = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/tagged", headers: [.authorization: "Bearer other"]))
                #expect(!other.fromCache)
            }
            #expect(target.ifNoneMatch == [nil, #""v1""#, nil])
        }
    }

    @Test func requestsInFlightToOneHostNeverExceedTheLimit() async throws {
        let settings = Self.fast { $0.maxConcurrentPerHost = 3 }
        try await withTarget { port, target in
            try await withClient(settings: settings) { client in
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<12 {
                        group.addTask { try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/slow")).status }
                    }
                    for try await status in group { #expect(status == 200) }
                }
                #expect(client.inFlight.inFlight("127.0.0.1:\(port)") == 0)
            }
            #expect(target.hits("slow") == 12)
            // Never above the limit (a busy machine may not even reach it).
            #expect((1...3).contains(target.maxInFlight))
        }
    }

    @Test func aRedirectIsReturnedNotFollowed() async throws {
        try await withTarget { port, _ in
            try await withClient { client in
                let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/moved"))
                #expect(response.status == 302)
                #expect(response.headers[.location] == "http://169.254.169.254/latest/meta-data/")
            }
        }
    }

    @Test func aBodyOverTheLimitIsRefused() async throws {
        let settings = Self.fast { $0.maxResponseBytes = 3 }
        try await withTarget { port, _ in
            try await withClient(settings: settings) { client in
                await #expect(throws: EgressError.responseTooLarge) {
                    try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/ok"))
                }
            }
        }
    }

    @Test func aSlowHostTimesOutWithinTheTotalTime() async throws {
        let settings = Self.fast { $0.totalTimeout = .milliseconds(300) }
        try await withTarget { port, _ in
            try await withClient(settings: settings) { client in
                let start = ContinuousClock.now
                await #expect(throws: EgressError.timeout) {
                    try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/stalled"))
                }
                #expect(ContinuousClock.now - start < .seconds(1))
            }
        }
    }

    @Test func aClosedPortIsATransportError() async throws {
        let settings = Self.fast {
            $0.maxAttempts = 2
            $0.totalTimeout = .seconds(1)
        }
        try await withClient(settings: settings) { client in
            // Port 9 (discard) has no listener here. The HTTP stack retries refused connections
            // itself until the deadline, then reports the connection error.
            await #expect {
                try await client.execute(EgressRequest(url: "http://127.0.0.1:9/"))
            } throws: { error in
                guard case .transport = error as? EgressError else { return false }
                return true
            }
        }
    }

    // MARK: Parts

    @Test func retryRulesFollowMethodStatusAndRetryAfter() {
        let rules = RetryRules(maxAttempts: 3, backoff: .init(base: 0.1, cap: 1), maxRetryAfter: 10)
        #expect(RetryRules.isSafeToRetry(.get, idempotencyKey: nil))
        #expect(RetryRules.isSafeToRetry(.delete, idempotencyKey: nil))
        #expect(!RetryRules.isSafeToRetry(.post, idempotencyKey: nil))
        #expect(!RetryRules.isSafeToRetry(.patch, idempotencyKey: nil))
        #expect(RetryRules.isSafeToRetry(.post, idempotencyKey: "k"))
        for status in [408, 429, 502, 503, 504] {
            guard case .retry(let delay) = rules.decide(status: status, retryAfter: nil, attempt: 1, remaining: 10, safe: true) else {
                Issue.record("status \(status) was not retried")
                continue
            }
            #expect((0...0.1).contains(delay))
        }
        for status in [200, 304, 400, 401, 404, 409, 422, 500, 501] {
            #expect(rules.decide(status: status, retryAfter: nil, attempt: 1, remaining: 10, safe: true) == .stop)
        }
        #expect(rules.decide(status: 503, retryAfter: nil, attempt: 1, remaining: 10, safe: false) == .stop)
        #expect(rules.decide(status: 503, retryAfter: nil, attempt: 3, remaining: 10, safe: true) == .stop)
        #expect(rules.decide(status: 503, retryAfter: "2", attempt: 1, remaining: 10, safe: true) == .retry(after: 2))
        #expect(rules.decide(status: 503, retryAfter: "2", attempt: 1, remaining: 1, safe: true) == .stop)
        #expect(rules.decide(status: 429, retryAfter: "11", attempt: 1, remaining: 60, safe: true) == .stop)
        #expect(RetryRules.seconds(retryAfter: " 7 ") == 7)
        #expect(RetryRules.seconds(retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(RetryRules.seconds(retryAfter: "-1") == nil)
        #expect(rules.decide(error: .timeout, attempt: 1, remaining: 10, safe: true) != .stop)
        #expect(rules.decide(error: .transport("reset"), attempt: 1, remaining: 10, safe: true) != .stop)
        #expect(rules.decide(error: .responseTooLarge, attempt: 1, remaining: 10, safe: true) == .stop)
        #expect(rules.decide(error: .circuitOpen(host: "h:1"), attempt: 1, remaining: 10, safe: true) == .stop)
    }

    @Test func aWaiterForAHostSlotIsServedInOrderAndLeavesCleanlyWhenCancelled() async throws {
        let limit = InFlightLimit(limit: 1)
        let far = ContinuousClock.now + .seconds(60)
        #expect(await limit.acquire("h", until: far))
        // A waiter that times out takes nothing.
        #expect(await !limit.acquire("h", until: .now + .milliseconds(50)))
        let (turns, served) = AsyncStream.makeStream(of: Int.self)
        let cancelled = Task { await limit.acquire("h", until: far) }
        let first = Task {
            try await Task.sleep(for: .milliseconds(20))
            guard await limit.acquire("h", until: far) else { return }
            served.yield(1)
            limit.release("h")
        }
        let second = Task {
            try await Task.sleep(for: .milliseconds(40))
            guard await limit.acquire("h", until: far) else { return }
            served.yield(2)
            limit.release("h")
        }
        try await Task.sleep(for: .milliseconds(80))
        cancelled.cancel()
        #expect(await !cancelled.value)
        limit.release("h")
        try await first.value
        try await second.value
        served.finish()
        var order: [Int] = []
        for await turn in turns { order.append(turn) }
        #expect(order == [1, 2])
        #expect(limit.inFlight("h") == 0)
    }

    // MARK: Helpers

    /// Short waits so retries do not slow the suite.
    static func fast(_ adjust: (inout EgressSettings) -> Void = { _ in }) -> EgressSettings {
        var settings = EgressSettings()
        settings.backoffBase = .milliseconds(10)
        settings.backoffCap = .milliseconds(50)
        settings.totalTimeout = .seconds(5)
        adjust(&settings)
        return settings
    }

    /// The `outcome` label of the error `policy` throws for `url`, or "allowed".
    func refusal(of url: String, by policy: EgressPolicy) async -> String {
        do {
            _ = try await policy.check(url)
            return "allowed"
        } catch {
            return error.outcome
        }
    }

    func withClient(
        allow: [String] = ["127.0.0.1/32"],
        settings: EgressSettings = Self.fast(),
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        _ body: (EgressClient) async throws -> Void
    ) async throws {
        let client = EgressClient(policy: try EgressPolicy(allow: allow), settings: settings, metrics: metrics, logger: Logger(label: "egress-test"))
        do {
            try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Runs `body` against a live local server whose routes misbehave on purpose.
    func withTarget(_ body: @Sendable (Int, EgressTarget) async throws -> Void) async throws {
        let target = EgressTarget()
        let app = Application(
            router: target.router(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: Logger(label: "egress-target")
        )
        try await app.test(.live) { client in
            try await body(try #require(client.port), target)
        }
    }
}

/// A server for the client to call, counting what reaches it.
final class EgressTarget: Sendable {
    private struct State {
        var hits: [String: Int] = [:]
        var inFlight = 0
        var maxInFlight = 0
        var idempotencyKeys: [String] = []
        var ifNoneMatch: [String?] = []
        var lastHost: String?
    }

    private let state = Mutex(State())

    func hits(_ route: String) -> Int { state.withLock { $0.hits[route, default: 0] } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }
    var idempotencyKeys: [String] { state.withLock { $0.idempotencyKeys } }
    var ifNoneMatch: [String?] { state.withLock { $0.ifNoneMatch } }
    var lastHost: String? { state.withLock { $0.lastHost } }

    /// Counts a request to `route` and returns how many have come, this one included.
    private func hit(_ route: String, _ request: Request) -> Int {
        state.withLock { state in
            state.lastHost = request.head.authority
            state.hits[route, default: 0] += 1
            return state.hits[route]!
        }
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/ok") { request, _ in
            _ = self.hit("ok", request)
            return "hello"
        }
        router.get("/missing") { request, _ -> Response in
            _ = self.hit("missing", request)
            return Response(status: .notFound)
        }
        // 503 twice, then 200.
        let flaky: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let count = self.hit("flaky", request)
            if let key = request.headers[HTTPField.Name("Idempotency-Key")!] {
                self.state.withLock { $0.idempotencyKeys.append(key) }
            }
            return Response(status: count < 3 ? .serviceUnavailable : .ok)
        }
        router.get("/flaky", use: flaky)
        router.post("/flaky", use: flaky)
        router.get("/later") { request, _ -> Response in
            self.hit("later", request) == 1 ? Response(status: .serviceUnavailable, headers: [.retryAfter: "1"]) : Response(status: .ok)
        }
        router.get("/broken") { request, _ -> Response in
            _ = self.hit("broken", request)
            return Response(status: .internalServerError)
        }
        router.get("/tagged") { request, _ -> Response in
            _ = self.hit("tagged", request)
            let condition = request.headers[.ifNoneMatch]
            self.state.withLock { $0.ifNoneMatch.append(condition) }
            if condition == #""v1""# { return Response(status: .notModified, headers: [.eTag: #""v1""#]) }
            return Response(status: .ok, headers: [.eTag: #""v1""#], body: ResponseBody(byteBuffer: ByteBuffer(string: "tagged body")))
        }
        router.get("/slow") { request, _ -> Response in
            _ = self.hit("slow", request)
            self.state.withLock { state in
                state.inFlight += 1
                state.maxInFlight = max(state.maxInFlight, state.inFlight)
            }
            try await Task.sleep(for: .milliseconds(60))
            self.state.withLock { $0.inFlight -= 1 }
            return Response(status: .ok)
        }
        router.get("/stalled") { _, _ -> Response in
            try? await Task.sleep(for: .seconds(1))
            return Response(status: .ok)
        }
        router.get("/moved") { _, _ -> Response in
            Response(status: .found, headers: [.location: "http://169.254.169.254/latest/meta-data/"])
        }
        return router
    }
}
