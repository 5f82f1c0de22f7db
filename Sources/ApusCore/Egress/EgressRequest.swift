public import HTTPTypes

/// An outbound HTTP request.
public struct EgressRequest: Sendable {
    /// The method; GET, HEAD, PUT, DELETE and OPTIONS may be retried.
    public var method: HTTPRequest.Method
    /// An absolute http(s) URL.
    public var url: String
    /// Headers sent as they are.
    public var headers: HTTPFields
    /// The body, if any.
    public var body: [UInt8]?
    /// Sent as `Idempotency-Key`; makes a request of any method safe to retry, because the
    /// receiver applies it at most once.
    public var idempotencyKey: String?

    /// Creates a request.
    public init(method: HTTPRequest.Method = .get, url: String, headers: HTTPFields = [:], body: [UInt8]? = nil, idempotencyKey: String? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.idempotencyKey = idempotencyKey
    }
}
