import ApusKit
import Foundation

/// What follows a failed attempt of a job: another attempt, or the dead-letter list. Free of I/O,
/// with time and randomness passed in, so each rule can be tested alone.
///
/// A failure retries after a fully jittered exponential backoff, unless the handler threw
/// ``JobFailure``: `.retry(after:)` waits what the other side asked for instead, within reason
/// (an hour, or the backoff cap if that is longer), and `.permanent` dead-letters at once. A
/// failure of the last attempt dead-letters whatever was thrown.
struct JobRetryPolicy: Sendable, Equatable {
    /// What becomes of the job.
    enum Decision: Sendable, Equatable {
        /// Back on the queue, due at this time.
        case retry(at: Date)
        /// Into the dead-letter list.
        case deadLetter
    }

    /// The shortest limit on a wait the other side asks for, in seconds.
    static let retryAfterLimit: Double = 3600

    /// The schedule of retries the handler has no say in.
    let backoff: ExponentialBackoff

    /// The longest wait, in seconds, a `JobFailure.retry(after:)` gets.
    var longestRequestedWait: Double { max(Self.retryAfterLimit, backoff.cap) }

    init(backoff: ExponentialBackoff) {
        self.backoff = backoff
    }

    /// The policy of `APUS_JOBS_BACKOFF_BASE_MS` and `APUS_JOBS_BACKOFF_CAP_MS`.
    init(settings: JobSettings) {
        self.init(backoff: ExponentialBackoff(
            base: Double(settings.backoffBaseMilliseconds) / 1000, cap: Double(settings.backoffCapMilliseconds) / 1000
        ))
    }

    /// After attempt `attempt` of `maxAttempts` failed with `error` at `now`; `jitter`, in
    /// `0...1`, is the fraction of the backoff ceiling to wait.
    func decide(attempt: Int, maxAttempts: Int, error: any Error, now: Date, jitter: Double) -> Decision {
        guard attempt < maxAttempts else { return .deadLetter }
        switch error as? JobFailure {
        case .permanent:
            return .deadLetter
        case .retry(let after, _):
            return .retry(at: now.addingTimeInterval(max(0, min(after, longestRequestedWait))))
        case nil:
            return .retry(at: now.addingTimeInterval(backoff.ceiling(attempt: attempt) * min(max(jitter, 0), 1)))
        }
    }

    /// ``decide(attempt:maxAttempts:error:now:jitter:)`` with the jitter drawn from `generator`.
    func decide(
        attempt: Int, maxAttempts: Int, error: any Error, now: Date, using generator: inout some RandomNumberGenerator
    ) -> Decision {
        decide(attempt: attempt, maxAttempts: maxAttempts, error: error, now: now, jitter: Double.random(in: 0...1, using: &generator))
    }
}
