@testable import ApusCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Synchronization
import Testing

extension EgressTests {
    // MARK: Helpers

    /// Short waits so retries do not slow the suite.
    static func fast(_ adjust: (inout EgressSettings) -> Void = { _ in }) -> EgressSettings {
        var settings = EgressSettings()
        settings.backoffBase = .milliseconds(10)
        settings.backoffCap = .milliseconds(50)
        // Generous: under the whole suite's load a local call can take seconds, and the tests of
        // timeouts set their own.
        settings.totalTimeout = .seconds(30)
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
        // Answers, but only after far longer than any test's total timeout.
        router.get("/stalled") { _, _ -> Response in
            try? await Task.sleep(for: .seconds(5))
            return Response(status: .ok)
        }
        router.get("/moved") { _, _ -> Response in
            Response(status: .found, headers: [.location: "http://169.254.169.254/latest/meta-data/"])
        }
        return router
    }
}
