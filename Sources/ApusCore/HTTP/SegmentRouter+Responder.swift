public import Hummingbird

/// The routes' templates as a tree of path segments: a constant step is one hash lookup of
/// (node, segment), and each node has at most one capture child. Not generic, so a lookup runs
/// specialised code with no type metadata to fetch; no node is copied on the way.
struct RouteTree: Sendable {
    private struct Edge: Hashable {
        var parent: Int
        var segment: Substring
    }

    private var edges: [Edge: Int] = [:]
    /// Per node: its capture child (-1 for none) and that capture's name.
    private var captureChild = [-1]
    private var captureName: [Substring] = [""]
    /// Per node: the endpoint a path ending here reaches (-1 for none).
    private var endpoint = [-1]

    /// The tree of `templates`; a path reaching the end of `templates[i]` reaches endpoint `i`.
    init(_ templates: [RouterPath]) throws {
        for (index, template) in templates.enumerated() {
            var node = 0
            for element in template.components where !element.description.isEmpty {
                node = try child(of: node, for: element.description, template: template.description)
            }
            endpoint[node] = index
        }
    }

    private mutating func newNode() -> Int {
        captureChild.append(-1)
        captureName.append("")
        endpoint.append(-1)
        return endpoint.count - 1
    }

    private mutating func child(of node: Int, for element: String, template: String) throws -> Int {
        if element.hasPrefix("{"), element.hasSuffix("}") {
            let name = Substring(element.dropFirst().dropLast())
            if captureChild[node] >= 0 {
                guard captureName[node] == name else {
                    throw UnroutableTemplate(template: template, reason: "captures {\(name)} where another route captures {\(captureName[node])}")
                }
                return captureChild[node]
            }
            let child = newNode()
            captureChild[node] = child
            captureName[node] = name
            return child
        }
        guard !element.contains("*"), !element.contains("{"), !element.contains("}") else {
            throw UnroutableTemplate(template: template, reason: "\(element) is neither a constant nor a {capture}")
        }
        let edge = Edge(parent: node, segment: Substring(element))
        if let existing = edges[edge] { return existing }
        let child = newNode()
        edges[edge] = child
        return child
    }

    /// The endpoint `path` reaches, with its captures.
    func resolve(_ path: String) -> (endpoint: Int, parameters: Parameters)? {
        var captured: [(key: Substring, value: Substring)] = []
        guard let endpoint = descend(0, path, from: path.utf8.startIndex, &captured) else { return nil }
        // Built once from the list: `Parameters` is generic and not inlinable, so each of its
        // setters fetched its type's metadata and searched what was already set.
        return (endpoint, captured.isEmpty ? Parameters() : Parameters(captured))
    }

    /// Empty segments (`//`, a trailing `/`) are skipped, as Hummingbird's router does. A capture
    /// is set only once the rest of the path has matched under it, so a branch that fails leaves
    /// nothing behind.
    private func descend(_ node: Int, _ path: String, from position: String.Index, _ captured: inout [(key: Substring, value: Substring)]) -> Int? {
        let utf8 = path.utf8
        var start = position
        while start < utf8.endIndex, utf8[start] == UInt8(ascii: "/") { utf8.formIndex(after: &start) }
        guard start < utf8.endIndex else { return endpoint[node] >= 0 ? endpoint[node] : nil }
        var end = start
        while end < utf8.endIndex, utf8[end] != UInt8(ascii: "/") { utf8.formIndex(after: &end) }
        let segment = path[start..<end]
        if let child = edges[Edge(parent: node, segment: segment)], let found = descend(child, path, from: end, &captured) {
            return found
        }
        let capture = captureChild[node]
        if capture >= 0, let found = descend(capture, path, from: end, &captured) {
            captured.append((captureName[node], segment))
            return found
        }
        return nil
    }
}

extension SegmentRouter {
    /// Serves a request with the route its path and method name, or the not-found chain.
    public struct Responder: HTTPResponder {
        struct Endpoint: Sendable {
            /// The template, kept as the request's endpoint path (metrics label requests by it).
            let template: String
            let methods: [HTTPRequest.Method: any HTTPResponder<Context>]
        }

        let tree: RouteTree
        let endpoints: [Endpoint]
        let notFound: any HTTPResponder<Context>

        public func respond(to request: Request, context: Context) async throws -> Response {
            do {
                guard let (index, parameters) = tree.resolve(request.uri.path),
                      let responder = endpoints[index].methods[request.method] else {
                    return try await notFound.respond(to: request, context: context)
                }
                var context = context
                context.coreContext.parameters = parameters
                context.coreContext.endpointPath.value = endpoints[index].template
                return try await responder.respond(to: request, context: context)
            } catch let error as any HTTPResponseError {
                return try error.response(from: request, context: context)
            }
        }
    }
}
