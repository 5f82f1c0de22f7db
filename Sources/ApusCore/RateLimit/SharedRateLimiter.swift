public import Foundation
import SQLKit

/// A rate limit every node enforces together: the buckets live in `apus_rate_buckets`, and each
/// request refills and takes from its bucket in one atomic upsert. Costs a database write per
/// request, so it is for the policies where the total across nodes matters (sign-in), while the
/// default API limit stays node-local.
public struct SharedRateLimiter: RateLimiting {
    public let policy: RateLimitPolicy
    private let database: any Database

    static let migration = Migration(
        module: "apus",
        name: "0002_rate_buckets",
        sqlite: ["""
            CREATE TABLE apus_rate_buckets (
                policy TEXT NOT NULL, bucket_key TEXT NOT NULL, tokens REAL NOT NULL,
                updated_at REAL NOT NULL, allowed INTEGER NOT NULL, PRIMARY KEY (policy, bucket_key)
            )
            """],
        postgres: ["""
            CREATE TABLE apus_rate_buckets (
                policy TEXT NOT NULL, bucket_key TEXT NOT NULL, tokens DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL, allowed INTEGER NOT NULL, PRIMARY KEY (policy, bucket_key)
            )
            """]
    )

    /// The platform's clock: every node refills the shared buckets by the same wall time.
    let now: @Sendable () -> Date

    public init(policy: RateLimitPolicy, database: any Database, now: @escaping @Sendable () -> Date = { Date() }) {
        self.policy = policy
        self.database = database
        self.now = now
    }

    public func acquire(_ key: String) async throws -> RateLimiter.Outcome {
        let now = self.now().timeIntervalSince1970
        let capacity = Double(policy.limit)
        let rate = capacity / Double(policy.window)
        let least = database.engine == .postgres ? "LEAST" : "MIN"
        // The refilled level, computed from the stored row and the new time.
        let level = "\(least)(\(capacity), apus_rate_buckets.tokens + (excluded.updated_at - apus_rate_buckets.updated_at) * \(rate))"
        let policyName = policy.name
        let row = try await database.write { connection in
            try await connection.raw("""
                INSERT INTO apus_rate_buckets (policy, bucket_key, tokens, updated_at, allowed)
                VALUES (\(bind: policyName), \(bind: key), \(bind: capacity - 1), \(bind: now), 1)
                ON CONFLICT (policy, bucket_key) DO UPDATE SET
                    tokens = CASE WHEN \(unsafeRaw: level) >= 1 THEN \(unsafeRaw: level) - 1 ELSE \(unsafeRaw: level) END,
                    allowed = CASE WHEN \(unsafeRaw: level) >= 1 THEN 1 ELSE 0 END,
                    updated_at = excluded.updated_at
                RETURNING tokens, allowed
                """).first()
        }
        // A bucket untouched for a whole window is full, the same as no row: now and then, drop
        // such rows so the table stays as small as the set of recently active keys.
        if Int.random(in: 0..<1000) == 0 {
            let window = Double(policy.window)
            try? await database.write { connection in
                try await connection.raw("""
                    DELETE FROM apus_rate_buckets WHERE policy = \(bind: policyName) AND updated_at < \(bind: now - window)
                    """).run()
            }
        }
        guard let row else { return RateLimiter.Outcome(allowed: true, remaining: policy.limit - 1, reset: 0) }
        let tokens = try row.decode(column: "tokens", as: Double.self)
        if try row.decode(column: "allowed", as: Int.self) == 1 {
            return RateLimiter.Outcome(allowed: true, remaining: Int(tokens.rounded(.down)), reset: Int(((capacity - tokens) / rate).rounded(.up)))
        }
        return RateLimiter.Outcome(allowed: false, remaining: 0, reset: max(1, Int(((1 - tokens) / rate).rounded(.up))))
    }
}

/// Takes tokens from a policy's buckets, on this node or across nodes.
public protocol RateLimiting: Sendable {
    var policy: RateLimitPolicy { get }
    /// Takes one token for `key`.
    func acquire(_ key: String) async throws -> RateLimiter.Outcome
}

extension RateLimiter: RateLimiting {
    public func acquire(_ key: String) async throws -> Outcome {
        take(key)
    }
}
