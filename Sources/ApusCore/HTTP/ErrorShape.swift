public import Hummingbird

/// How the errors of routes under a path prefix are written, for a protocol whose clients
/// expect their own error bodies (Loki's plain text, Elasticsearch's `{"error": …}`) rather than
/// problem+json. It applies to every error answered there, the platform's own too (a bad token,
/// a rate limit, a body too large, a path that does not exist), so a shipper always reads its
/// protocol's shape. The status and headers stay the problem's.
public struct ErrorShape: Sendable {
    /// Whether a path is answered in this shape.
    public let applies: @Sendable (String) -> Bool
    /// Writes the response for `problem`, which already carries the status, detail and headers.
    public let render: @Sendable (Problem, Request) -> Response

    /// The shape for paths starting with `pathPrefix` (`/loki/`).
    public init(pathPrefix: String, render: @escaping @Sendable (Problem, Request) -> Response) {
        self.init(applies: { $0.hasPrefix(pathPrefix) }, render: render)
    }

    /// The shape for the paths `applies` picks (`/{index}/_bulk`, which no prefix names).
    public init(applies: @escaping @Sendable (String) -> Bool, render: @escaping @Sendable (Problem, Request) -> Response) {
        self.applies = applies
        self.render = render
    }

    /// The first shape among `shapes` that applies to `path`.
    static func matching(_ path: String, in shapes: [ErrorShape]) -> ErrorShape? {
        shapes.first { $0.applies(path) }
    }
}
