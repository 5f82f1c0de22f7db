/// A token bucket: holds up to `capacity` tokens, refills at `refillPerSecond`, and each request
/// takes tokens. Time is passed in (seconds on any monotonic clock), so the bucket has no clock
/// of its own and is tested exactly.
public struct TokenBucket: Sendable, Equatable {
    /// The most tokens the bucket holds: the largest burst allowed.
    public let capacity: Double
    /// Tokens added per second: the sustained rate allowed.
    public let refillPerSecond: Double
    /// Tokens available at `updatedAt`.
    public private(set) var tokens: Double
    /// The time of the last refill.
    public private(set) var updatedAt: Double

    /// The outcome of one attempt to take tokens.
    public enum Decision: Sendable, Equatable {
        /// Taken; `remaining` whole tokens are left.
        case allowed(remaining: Int)
        /// Refused; enough tokens will be there after `retryAfter` seconds.
        case refused(retryAfter: Double)
    }

    /// Creates a full bucket at time `now`.
    public init(capacity: Double, refillPerSecond: Double, now: Double) {
        precondition(capacity > 0 && refillPerSecond > 0, "a token bucket needs a positive capacity and rate")
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.tokens = capacity
        self.updatedAt = now
    }

    /// Adds the tokens earned since the last update; a clock going backwards earns nothing.
    public mutating func refill(now: Double) {
        guard now > updatedAt else { return }
        tokens = min(capacity, tokens + (now - updatedAt) * refillPerSecond)
        updatedAt = now
    }

    /// Takes `cost` tokens if there are enough at `now`.
    public mutating func take(_ cost: Double = 1, now: Double) -> Decision {
        refill(now: now)
        if tokens >= cost {
            tokens -= cost
            return .allowed(remaining: Int(tokens.rounded(.down)))
        }
        return .refused(retryAfter: (cost - tokens) / refillPerSecond)
    }

    /// Seconds until the bucket is full again, from `now`.
    public func secondsUntilFull(now: Double) -> Double {
        var copy = self
        copy.refill(now: now)
        return (capacity - copy.tokens) / refillPerSecond
    }
}
