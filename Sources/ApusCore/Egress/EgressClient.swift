import ApusKit
import AsyncHTTPClient
import HTTPTypes
public import Logging
import NIOCore
public import Prometheus
import Synchronization

/// The one way Apus calls other servers: webhooks, OAuth providers, fetches on a user's behalf.
///
/// Every call passes the `EgressPolicy` (no internal addresses unless allowed), then per host a
/// circuit breaker and a limit on requests in flight. Calls that are safe to repeat are retried
/// on timeouts, broken connections and "try later" statuses with jittered exponential backoff,
/// honouring `Retry-After`. GETs are revalidated against an ETag cache. Redirects are returned,
/// not followed: the next hop would escape the policy.
public final class EgressClient: Sendable {
    let policy: EgressPolicy
    let settings: EgressSettings
    private let configuration: HTTPClient.Configuration
    /// Made on the first call, so a client that never calls out holds no connections to close.
    private let client = Mutex<HTTPClient?>(nil)
    let logger: Logger
    let metrics: EgressMetrics
    let breakers: HostBreakers
    let inFlight: InFlightLimit
    let cache: ETagCache?
    let rules: RetryRules
    /// The zero of the breakers' clock: they take monotonic seconds.
    private let origin = ContinuousClock.now

    /// Creates a client; call `shutdown()` before dropping it once it has made a call.
    public init(policy: EgressPolicy, settings: EgressSettings = .init(), metrics: PrometheusCollectorRegistry, logger: Logger) {
        precondition(settings.maxAttempts > 0, "egress needs at least one attempt")
        precondition(settings.maxResponseBytes >= 0 && settings.etagCacheEntries >= 0, "egress limits cannot be negative")
        precondition(settings.connectTimeout > .zero && settings.totalTimeout > .zero, "egress timeouts must be positive")
        self.policy = policy
        self.settings = settings
        self.logger = logger
        self.metrics = EgressMetrics(registry: metrics)
        self.breakers = HostBreakers(failureThreshold: settings.breakerFailureThreshold, openDuration: settings.breakerOpenDuration.egressSeconds)
        self.inFlight = InFlightLimit(limit: settings.maxConcurrentPerHost)
        self.cache = settings.etagCacheEntries > 0 ? ETagCache(capacity: settings.etagCacheEntries, maxBodyBytes: settings.maxCachedBodyBytes) : nil
        self.rules = RetryRules(
            maxAttempts: settings.maxAttempts,
            backoff: ExponentialBackoff(base: settings.backoffBase.egressSeconds, cap: settings.backoffCap.egressSeconds),
            maxRetryAfter: settings.maxRetryAfter.egressSeconds
        )
        self.configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: TimeAmount(settings.connectTimeout), read: TimeAmount(settings.totalTimeout)),
            decompression: .disabled
        )
    }

    /// The underlying HTTP client, made on first use.
    var http: HTTPClient {
        client.withLock { client in
            if let client { return client }
            let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration, backgroundActivityLogger: logger)
            client = made
            return made
        }
    }

    /// Sends `request`, retrying where safe, and returns the response with its body read whole.
    ///
    /// A status the host answered, 4xx and 5xx included, is a response, not an error; after the
    /// last attempt the last answer is returned. Throws `.refused` or `.invalidURL` before any
    /// connection, `.circuitOpen` without sending, and otherwise the last attempt's failure.
    public func execute(_ request: EgressRequest) async throws(EgressError) -> EgressResponse {
        let deadline = ContinuousClock.now + settings.totalTimeout
        let destination: EgressDestination
        do {
            destination = try await policy.check(request.url)
        } catch {
            // Labelled apart from real hosts: these names come from whoever supplied the URL.
            metrics.recordRequest(host: "-", outcome: error.outcome)
            if case .refused(let reason) = error {
                logger.notice("egress refused", metadata: ["egress.reason": "\(reason)"])
            }
            throw error
        }
        do {
            let response = try await send(request, to: destination, deadline: deadline)
            metrics.recordRequest(host: destination.authority, outcome: EgressMetrics.outcome(status: response.status, fromCache: response.fromCache))
            return response
        } catch {
            metrics.recordRequest(host: destination.authority, outcome: error.outcome)
            throw error
        }
    }

    /// Closes the connections; no call may be made afterwards.
    public func shutdown() async throws {
        try await client.withLock { $0.take() }?.shutdown()
    }

    private func send(_ request: EgressRequest, to destination: EgressDestination, deadline: ContinuousClock.Instant) async throws(EgressError) -> EgressResponse {
        let host = destination.authority
        let safe = RetryRules.isSafeToRetry(request.method, idempotencyKey: request.idempotencyKey)
        // A caller's own conditional request is theirs to interpret; the cache keeps out.
        let cacheKey = request.method == .get && request.headers[.ifNoneMatch] == nil && cache != nil
            ? ETagCache.Key(url: request.url, headers: request.headers) : nil
        let cached = cacheKey.flatMap { cache?.entry(for: $0) }
        let outgoing = makeRequest(request, to: destination, etag: cached?.etag)
        var attempt = 0
        while true {
            attempt += 1
            let remaining = { (deadline - ContinuousClock.now).egressSeconds }
            switch await attemptOnce(outgoing, host: host, deadline: deadline) {
            case .success(let answer):
                let decision = rules.decide(status: answer.status, retryAfter: answer.headers[.retryAfter], attempt: attempt, remaining: remaining(), safe: safe)
                if case .retry(let delay) = decision {
                    try await pause(delay, host: host, attempt: attempt, reason: "status \(answer.status)")
                    continue
                }
                if answer.status == 304, let cached {
                    return EgressResponse(status: cached.status, headers: cached.headers, body: cached.body, attempts: attempt, fromCache: true)
                }
                if let cacheKey, (200..<300).contains(answer.status) {
                    cache?.store(cacheKey, status: answer.status, headers: answer.headers, body: answer.body)
                }
                return EgressResponse(status: answer.status, headers: answer.headers, body: answer.body, attempts: attempt, fromCache: false)
            case .failure(let error):
                guard case .retry(let delay) = rules.decide(error: error, attempt: attempt, remaining: remaining(), safe: safe) else { throw error }
                try await pause(delay, host: host, attempt: attempt, reason: "\(error)")
            }
        }
    }

    /// One attempt through the breaker and the in-flight limit of `host`.
    private func attemptOnce(_ request: HTTPClientRequest, host: String, deadline: ContinuousClock.Instant) async -> Result<Answer, EgressError> {
        // Checked before queueing too, so callers do not wait for a slot only to be refused.
        if breakers.refuses(host, now: now) { return .failure(.circuitOpen(host: host)) }
        guard await inFlight.acquire(host, until: deadline) else { return .failure(Task.isCancelled ? .cancelled : .timeout) }
        defer { inFlight.release(host) }
        let (allowed, admission) = breakers.allowCall(host, now: now)
        observe(admission, host: host)
        guard allowed else { return .failure(.circuitOpen(host: host)) }
        let result = await transmit(request, deadline: deadline)
        let transition: HostBreakers.Transition
        switch result {
        case .success(let answer) where answer.status >= 500:
            transition = breakers.recordFailure(host, now: now)
        case .success, .failure(.responseTooLarge):
            transition = breakers.recordSuccess(host)
        case .failure(.cancelled):
            transition = breakers.recordAbandoned(host, now: now)
        case .failure:
            transition = breakers.recordFailure(host, now: now)
        }
        observe(transition, host: host)
        return result
    }

    /// Waits `delay` seconds before attempt `attempt + 1`.
    private func pause(_ delay: Double, host: String, attempt: Int, reason: String) async throws(EgressError) {
        logger.debug("egress retry", metadata: [
            "egress.host": "\(host)", "egress.attempt": "\(attempt)", "egress.reason": "\(reason)", "egress.delay": "\(delay)",
        ])
        do {
            try await Task.sleep(for: .seconds(delay))
        } catch {
            throw .cancelled
        }
    }

    /// Shows a breaker's state in the gauge, and in the log when it changed.
    private func observe(_ transition: HostBreakers.Transition, host: String) {
        metrics.recordCircuit(host: host, state: transition.to)
        guard transition.changed else { return }
        let metadata: Logger.Metadata = ["egress.host": "\(host)", "egress.from": "\(transition.from)", "egress.to": "\(transition.to)"]
        if transition.to == "open" {
            logger.warning("egress circuit opened", metadata: metadata)
        } else {
            logger.info("egress circuit changed", metadata: metadata)
        }
    }

    /// Seconds on the monotonic clock of the breakers.
    private var now: Double {
        (ContinuousClock.now - origin).egressSeconds
    }
}
