import ApusKit
import Synchronization

/// Token buckets for one policy, one per key (API key, user or client address). Buckets live in
/// an LRU cache, so memory stays bounded however many keys arrive; an evicted bucket was the
/// least recently used and is the one likeliest full anyway.
///
/// A mutex, not an actor: taking a token is a few hundred nanoseconds of work on every request,
/// and the identity benchmark measured an actor hop per request costing more than the work.
public final class RateLimiter: Sendable {
    public let policy: RateLimitPolicy
    private let buckets: Mutex<LRUCache<String, TokenBucket>>
    private let origin = ContinuousClock.now

    /// The outcome of one request against the limit.
    public struct Outcome: Sendable, Equatable {
        public let allowed: Bool
        public let remaining: Int
        /// Seconds until a request is allowed again (refused) or the bucket is full (allowed).
        public let reset: Int
    }

    public init(policy: RateLimitPolicy, maximumKeys: Int = 100_000) {
        self.policy = policy
        self.buckets = Mutex(LRUCache(capacity: maximumKeys))
    }

    /// Takes one token for `key`.
    public func take(_ key: String) -> Outcome {
        let now = (ContinuousClock.now - origin) / .seconds(1)
        let policy = policy
        return buckets.withLock { buckets in
            // Taken in place: one lookup of the key on every request, not a get and a put.
            buckets.update(key, orInsert: {
                TokenBucket(capacity: Double(policy.limit), refillPerSecond: Double(policy.limit) / Double(policy.window), now: now)
            }) { bucket in
                switch bucket.take(now: now) {
                case .allowed(let remaining):
                    Outcome(allowed: true, remaining: remaining, reset: Int(bucket.secondsUntilFull(now: now).rounded(.up)))
                case .refused(let retryAfter):
                    Outcome(allowed: false, remaining: 0, reset: max(1, Int(retryAfter.rounded(.up))))
                }
            }
        }
    }

    /// Seconds until `key` may take a token again; 0 when it may now. Takes nothing.
    public func waitBeforeNext(_ key: String) -> Int {
        // Asked on every authenticated request, and almost always of a key with no bucket: the
        // clock is read only for one that has.
        guard var bucket = buckets.withLock({ $0.peek(key) }) else { return 0 }
        // A trial take on a copy: the stored bucket keeps its tokens.
        guard case .refused(let retryAfter) = bucket.take(now: (ContinuousClock.now - origin) / .seconds(1)) else { return 0 }
        return max(1, Int(retryAfter.rounded(.up)))
    }

    /// How many keys have a bucket now.
    public var trackedKeys: Int { buckets.withLock { $0.count } }
}
