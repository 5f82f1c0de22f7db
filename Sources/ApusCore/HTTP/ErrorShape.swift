public import Hummingbird

/// How the errors of routes under a path prefix are written, for a protocol whose clients
/// expect their own error bodies (Loki's plain text, Elasticsearch's `{"error": …}`) rather than
/// problem+json. It applies to every error answered there, the platform's own too (a bad token,
/// a rate limit, a body too large, a path that does not exist), so a shipper always reads its
/// protocol's shape. The status and headers stay the problem's.
public struct ErrorShape: Sendable {
    /// Paths starting with it are answered in this shape (`/loki/`).
    public let pathPrefix: String
    /// Writes the response for `problem`, which already carries the status, detail and headers.
    public let render: @Sendable (Problem, Request) -> Response

    public init(pathPrefix: String, render: @escaping @Sendable (Problem, Request) -> Response) {
        self.pathPrefix = pathPrefix
        self.render = render
    }

    /// The shape for `path` among `shapes`, the longest prefix winning.
    static func matching(_ path: String, in shapes: [ErrorShape]) -> ErrorShape? {
        shapes.filter { path.hasPrefix($0.pathPrefix) }.max { $0.pathPrefix.count < $1.pathPrefix.count }
    }
}
