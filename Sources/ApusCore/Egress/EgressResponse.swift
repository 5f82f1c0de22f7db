public import HTTPTypes

/// The answer to an outbound request, its body read whole.
public struct EgressResponse: Sendable {
    /// The status code; a 304 to a cached GET is reported as the cached status.
    public var status: Int
    /// The response headers (the cached ones when served from the cache).
    public var headers: HTTPFields
    /// The body, at most `EgressSettings.maxResponseBytes` long.
    public var body: [UInt8]
    /// How many times the request was sent.
    public var attempts: Int
    /// Whether the body came from the ETag cache after a 304.
    public var fromCache: Bool

    /// Creates a response.
    public init(status: Int, headers: HTTPFields, body: [UInt8], attempts: Int, fromCache: Bool) {
        self.status = status
        self.headers = headers
        self.body = body
        self.attempts = attempts
        self.fromCache = fromCache
    }
}
