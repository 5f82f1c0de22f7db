/// A named limit: at most `limit` requests per `window` seconds per key, with bursts up to
/// `limit` (a token bucket refilled at `limit / window` a second).
public struct RateLimitPolicy: Sendable, Equatable {
    public let name: String
    public let limit: Int
    public let window: Int
    /// The `RateLimit-Policy` header value (IETF httpapi ratelimit headers), made once: every
    /// answer carries it.
    let policyHeader: String

    public init(name: String, limit: Int, window: Int) {
        precondition(limit > 0 && window > 0, "a rate limit needs a positive limit and window")
        self.name = name
        self.limit = limit
        self.window = window
        policyHeader = "\"\(name)\";q=\(limit);w=\(window)"
    }

    /// Parses `LIMIT/WINDOW` such as `10/60` or `10/60s` (window in seconds).
    public static func parse(_ text: String, name: String, setting: String) throws(ConfigurationError) -> RateLimitPolicy {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let limit = Int(parts[0]), limit > 0,
              let window = Int(parts[1].hasSuffix("s") ? parts[1].dropLast() : parts[1]), window > 0
        else { throw .invalid(setting, "'\(text)' is not LIMIT/SECONDS, such as 10/60") }
        return RateLimitPolicy(name: name, limit: limit, window: window)
    }
}
