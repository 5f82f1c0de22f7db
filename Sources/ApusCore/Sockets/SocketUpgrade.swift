public import HTTPTypes

/// The HTTP request that opened a socket, for a handler whose protocol reads it: a live tail's
/// query in the URL, a tenant in a header.
public struct SocketUpgrade: Sendable {
    /// The path, without the query.
    public let path: String
    /// The query string as sent (percent-encoded), without `?`; empty when there is none.
    public let query: String
    public let headers: HTTPFields

    public init(path: String, query: String, headers: HTTPFields) {
        self.path = path
        self.query = query
        self.headers = headers
    }
}
