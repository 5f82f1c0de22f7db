import ApusKit
import Synchronization

/// A circuit breaker for each host, so one failing destination is given time to recover while
/// calls to the others go on.
///
/// Time is seconds on a monotonic clock, passed in by the caller. The breakers of the least
/// recently used hosts are dropped past `capacity`; a host that keeps failing keeps being used,
/// so its open breaker stays.
final class HostBreakers: Sendable {
    /// A breaker's state names before and after a call into it.
    struct Transition: Equatable {
        let from: String
        let to: String

        var changed: Bool { from != to }
    }

    private let breakers: Mutex<LRUCache<String, CircuitBreaker>>
    private let failureThreshold: Int
    private let openDuration: Double

    init(failureThreshold: Int, openDuration: Double, capacity: Int = 4096) {
        self.failureThreshold = failureThreshold
        self.openDuration = openDuration
        self.breakers = Mutex(LRUCache(capacity: capacity))
        // Fail on bad settings here rather than on the first request.
        _ = CircuitBreaker(failureThreshold: failureThreshold, openDuration: openDuration)
    }

    /// Whether `host`'s circuit is open and not yet due a trial, without taking the trial.
    func refuses(_ host: String, now: Double) -> Bool {
        breakers.withLock { breakers in
            guard case .open(let until)? = breakers.peek(host)?.state else { return false }
            return now < until
        }
    }

    /// Asks to call `host`; `true` means go ahead and report the outcome.
    func allowCall(_ host: String, now: Double) -> (allowed: Bool, transition: Transition) {
        let (allowed, transition) = update(host) { $0.allowCall(now: now) }
        return (allowed, transition)
    }

    /// Reports a call to `host` that the host answered well (anything below 500).
    func recordSuccess(_ host: String) -> Transition {
        update(host) { $0.recordSuccess() }.transition
    }

    /// Reports a call to `host` that failed (5xx, timeout or transport error).
    func recordFailure(_ host: String, now: Double) -> Transition {
        update(host) { $0.recordFailure(now: now) }.transition
    }

    /// Reports a call abandoned before its outcome (the caller was cancelled). It says nothing
    /// of the host, but a trial call must not be left in flight forever, so a half-open circuit
    /// opens again.
    func recordAbandoned(_ host: String, now: Double) -> Transition {
        update(host) { breaker in
            if case .halfOpen = breaker.state { breaker.recordFailure(now: now) }
        }.transition
    }

    /// The state name of `host`'s breaker (`closed` for a host never seen).
    func stateName(_ host: String) -> String {
        breakers.withLock { $0.peek(host)?.stateName ?? "closed" }
    }

    private func update<Result>(_ host: String, _ body: (inout CircuitBreaker) -> Result) -> (Result, transition: Transition) {
        breakers.withLock { breakers in
            var breaker = breakers.get(host) ?? CircuitBreaker(failureThreshold: failureThreshold, openDuration: openDuration)
            let before = breaker.stateName
            let result = body(&breaker)
            breakers.put(host, breaker)
            let after = breaker.stateName
            return (result, Transition(from: before, to: after))
        }
    }
}
