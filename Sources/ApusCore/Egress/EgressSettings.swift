/// Limits and timings of the outbound HTTP client.
public struct EgressSettings: Sendable, Equatable {
    /// Time to establish a connection.
    public var connectTimeout: Duration = .seconds(5)
    /// Time for the whole call, every attempt and wait between them included.
    public var totalTimeout: Duration = .seconds(15)
    /// Attempts at most, the first included.
    public var maxAttempts = 3
    /// The ceiling of the first backoff wait.
    public var backoffBase: Duration = .milliseconds(200)
    /// The largest backoff wait.
    public var backoffCap: Duration = .seconds(5)
    /// The longest `Retry-After` waited for; a host asking for more gets no retry and the caller
    /// gets its answer.
    public var maxRetryAfter: Duration = .seconds(10)
    /// Failures in a row (5xx or transport) that open a host's circuit.
    public var breakerFailureThreshold = 5
    /// How long an open circuit refuses calls before a trial one.
    public var breakerOpenDuration: Duration = .seconds(30)
    /// Requests in flight to one host at most; more wait their turn.
    public var maxConcurrentPerHost = 8
    /// The largest response body accepted.
    public var maxResponseBytes = 1 << 20
    /// GET responses with an ETag kept for revalidation; 0 turns the cache off.
    public var etagCacheEntries = 512
    /// The largest body kept in the ETag cache, which bounds its memory.
    public var maxCachedBodyBytes = 256 << 10

    /// The defaults.
    public init() {}
}

extension Duration {
    /// The duration in seconds, for the `Double` clocks of the breaker and backoff.
    var egressSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
