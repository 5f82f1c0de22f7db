public import ApusKit
import Foundation
import PostgresNIO
import SQLiteNIO

/// Runs a transaction again when PostgreSQL gave it up for a reason that a second try can cure:
/// a serialization failure (SQLSTATE 40001), a deadlock (40P01) or a lock that did not come
/// within `lock_timeout` (55P03). Each retry waits a jittered, growing time (``ExponentialBackoff``)
/// so that the transactions that collided do not collide again in step. SQLite's single writer
/// queues one node's transactions instead; it gives up only when another process (a second node
/// on the same file) held the write lock past `busy_timeout`, which a retry may cure too.
public struct ConflictRetry: Sendable {
    /// How many times the body runs at most, the first included.
    public var attempts: Int
    /// The waits between attempts.
    public var backoff: ExponentialBackoff

    /// A policy of `attempts` runs with `backoff` between them.
    public init(attempts: Int = 5, backoff: ExponentialBackoff = ExponentialBackoff(base: 0.01, cap: 0.25)) {
        precondition(attempts >= 1, "a retry policy runs the body at least once")
        self.attempts = attempts
        self.backoff = backoff
    }

    /// The SQLSTATE codes a retry may cure.
    public static let retryableStates: Set<String> = ["40001", "40P01", "55P03"]

    /// Whether `error` is one a retry may cure.
    public static func isRetryable(_ error: any Error) -> Bool {
        if let error = error as? SQLiteError { return error.reason == .busy || error.reason == .busyTimeout }
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return retryableStates.contains(state)
    }

    /// Runs `body` until it succeeds, fails for another reason, or has run `attempts` times;
    /// then throws ``ConflictRetriesExhausted``. `onRetry` is told of each retry (for metrics).
    public func run<Result: Sendable>(
        onRetry: @Sendable () -> Void = {},
        _ body: @Sendable () async throws -> Result
    ) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch where Self.isRetryable(error) {
                guard attempt < attempts else { throw ConflictRetriesExhausted(attempts: attempt) }
                onRetry()
                try await Task.sleep(for: .seconds(backoff.delay(attempt: attempt)))
                attempt += 1
            }
        }
    }
}

/// Every attempt of a ``ConflictRetry`` met a conflict: the caller should answer 503 with
/// `Retry-After` (the load is the cause, not the request).
public struct ConflictRetriesExhausted: Error, Sendable, Equatable {
    /// How many times the body ran.
    public let attempts: Int
}

extension Transaction {
    /// Makes this transaction give up waiting for a row lock after `timeout` (PostgreSQL's
    /// `SET LOCAL lock_timeout`, SQLSTATE 55P03, which ``ConflictRetry`` retries). A no-op on
    /// SQLite, whose transactions take the single write lock up front and never wait on rows.
    public func setLockTimeout(_ timeout: Duration) async throws {
        guard sql.dialect.name == "postgresql" else { return }
        let milliseconds = max(1, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        // SET takes no bind parameters; the value is a number we made.
        try await sql.raw("SET LOCAL lock_timeout = \(unsafeRaw: String(milliseconds))").run()
    }
}
