@testable import ApusCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Synchronization
import ApusTesting
import Testing

/// The retry rules and the per-host slots on their own.
extension EgressTests {
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
        // Each waiter queues before the next starts (waiting for the count, not sleeping: a
        // loaded machine runs tasks late).
        let cancelled = Task { await limit.acquire("h", until: far) }
        #expect(try await eventually { limit.waiting("h") == 1 })
        let first = Task {
            guard await limit.acquire("h", until: far) else { return }
            served.yield(1)
            limit.release("h")
        }
        #expect(try await eventually { limit.waiting("h") == 2 })
        let second = Task {
            guard await limit.acquire("h", until: far) else { return }
            served.yield(2)
            limit.release("h")
        }
        #expect(try await eventually { limit.waiting("h") == 3 })
        cancelled.cancel()
        #expect(await !cancelled.value)
        limit.release("h")
        await first.value
        await second.value
        served.finish()
        var order: [Int] = []
        for await turn in turns { order.append(turn) }
        #expect(order == [1, 2])
        #expect(limit.inFlight("h") == 0)
    }
}
