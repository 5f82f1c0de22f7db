import ApusKit
import HTTPTypes

/// When a failed attempt is sent again, and after how long. Free of I/O so each rule can be
/// tested alone.
struct RetryRules: Sendable {
    /// What to do after an attempt.
    enum Decision: Equatable {
        /// Send again after this many seconds.
        case retry(after: Double)
        /// Give the caller this attempt's result.
        case stop
    }

    /// Methods whose repetition has the effect of one request (RFC 9110, 9.2.2).
    static let idempotentMethods: Set<HTTPRequest.Method> = [.get, .head, .put, .delete, .options]
    /// Statuses that say "not now" rather than "not this request".
    static let retryableStatuses: Set<Int> = [408, 429, 502, 503, 504]

    let maxAttempts: Int
    let backoff: ExponentialBackoff
    /// The longest `Retry-After`, in seconds, worth waiting for.
    let maxRetryAfter: Double

    /// Whether sending the request more than once is harmless.
    static func isSafeToRetry(_ method: HTTPRequest.Method, idempotencyKey: String?) -> Bool {
        idempotencyKey != nil || idempotentMethods.contains(method)
    }

    /// After attempt number `attempt` was answered with `status`, with `remaining` seconds left.
    func decide(status: Int, retryAfter: String?, attempt: Int, remaining: Double, safe: Bool) -> Decision {
        guard safe, attempt < maxAttempts, Self.retryableStatuses.contains(status) else { return .stop }
        guard let asked = Self.seconds(retryAfter: retryAfter) else {
            return schedule(backoff.delay(attempt: attempt), remaining: remaining)
        }
        // A host asking for a longer pause than we wait for gets it: the caller sees the answer.
        guard asked <= maxRetryAfter else { return .stop }
        return schedule(asked, remaining: remaining)
    }

    /// After attempt number `attempt` failed with `error`, with `remaining` seconds left.
    func decide(error: EgressError, attempt: Int, remaining: Double, safe: Bool) -> Decision {
        guard safe, attempt < maxAttempts else { return .stop }
        switch error {
        case .timeout, .transport: return schedule(backoff.delay(attempt: attempt), remaining: remaining)
        case .refused, .circuitOpen, .responseTooLarge, .invalidURL, .cancelled: return .stop
        }
    }

    /// The delay of a `Retry-After` in seconds; only the delta-seconds form is read (a date
    /// falls back to the backoff schedule).
    static func seconds(retryAfter value: String?) -> Double? {
        guard let parts = value?.split(whereSeparator: \.isWhitespace), parts.count == 1,
              let seconds = Int(parts[0]), seconds >= 0 else { return nil }
        return Double(seconds)
    }

    private func schedule(_ delay: Double, remaining: Double) -> Decision {
        // A wait that would outlast the deadline leaves no time for the attempt after it.
        delay < remaining ? .retry(after: delay) : .stop
    }
}
