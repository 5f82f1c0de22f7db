/// Exponential backoff with full jitter: attempt `n` (from 1) waits a uniformly random time in
/// `0 ... min(cap, base * 2^(n-1))`. Full jitter spreads retries of many clients apart.
public struct ExponentialBackoff: Sendable, Equatable {
    /// The ceiling of the first wait, in seconds.
    public let base: Double
    /// The largest ceiling, in seconds.
    public let cap: Double

    /// Creates a schedule; `base` and `cap` are seconds.
    public init(base: Double, cap: Double) {
        precondition(base > 0 && cap >= base, "backoff needs 0 < base <= cap")
        self.base = base
        self.cap = cap
    }

    /// The ceiling of the wait before retry `attempt` (1-based).
    public func ceiling(attempt: Int) -> Double {
        let exponent = Double(max(0, attempt - 1))
        // Past 2^62 the product is beyond any sensible cap; avoid overflow to infinity.
        return min(cap, base * Double(sign: .plus, exponent: Int(min(exponent, 62)), significand: 1))
    }

    /// A jittered wait before retry `attempt`, drawn with `generator`.
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Double {
        Double.random(in: 0...ceiling(attempt: attempt), using: &generator)
    }

    /// A jittered wait before retry `attempt`, drawn from the system generator.
    public func delay(attempt: Int) -> Double {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &generator)
    }
}
