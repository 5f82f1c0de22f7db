import ApusKit

/// Token buckets for one policy, one per key (API key, user or client address). Buckets live in
/// an LRU cache, so memory stays bounded however many keys arrive; an evicted bucket was the
/// least recently used and is the one likeliest full anyway.
public actor RateLimiter {
    public let policy: RateLimitPolicy
    private var buckets: LRUCache<String, TokenBucket>
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant

    /// The outcome of one request against the limit.
    public struct Outcome: Sendable, Equatable {
        public let allowed: Bool
        public let remaining: Int
        /// Seconds until a request is allowed again (refused) or the bucket is full (allowed).
        public let reset: Int
    }

    public init(policy: RateLimitPolicy, maximumKeys: Int = 100_000) {
        self.policy = policy
        self.buckets = LRUCache(capacity: maximumKeys)
        self.origin = clock.now
    }

    /// Takes one token for `key`.
    public func take(_ key: String) -> Outcome {
        let now = (clock.now - origin) / .seconds(1)
        var bucket = buckets.get(key)
            ?? TokenBucket(capacity: Double(policy.limit), refillPerSecond: Double(policy.limit) / Double(policy.window), now: now)
        let decision = bucket.take(now: now)
        buckets.put(key, bucket)
        switch decision {
        case .allowed(let remaining):
            return Outcome(allowed: true, remaining: remaining, reset: Int(bucket.secondsUntilFull(now: now).rounded(.up)))
        case .refused(let retryAfter):
            return Outcome(allowed: false, remaining: 0, reset: max(1, Int(retryAfter.rounded(.up))))
        }
    }

    /// How many keys have a bucket now.
    public var trackedKeys: Int { buckets.count }
}
