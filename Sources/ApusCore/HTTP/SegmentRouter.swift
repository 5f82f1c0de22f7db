public import Hummingbird

/// The node's router: Hummingbird's `RouterMethods` (groups, middleware, every route helper),
/// resolved by path segment with one hash lookup a segment.
///
/// Hummingbird's `Router` finds a route by walking each level's children in turn and comparing
/// strings, after splitting the path character by character. With every module's routes under
/// `/v1` that walk cost a content read about 3 µs a request (7% of its CPU), against 0.8 µs for
/// `/health/live`; a lookup here costs a few hundred nanoseconds on any route.
///
/// What a template may hold: constant segments and `{name}` captures. A constant wins over a
/// capture at the same position; when the rest of the path fails under the constant, the capture
/// is tried, at every level (Hummingbird's trie never went back at the first segment, nor when a
/// path ended on a node with no route, and answered 405 for a path a template fits). Two captures at one position must share their name,
/// since a parameter is read by name: ``validate()`` names any route that breaks this or uses a
/// wildcard. Every `GET` also answers `HEAD` without its body. A path no route takes, or a method
/// its route lacks, goes to the not-found chain (every middleware on the router) as
/// `HTTPError(.notFound)`. Middleware that acts on some methods only (``MethodScopedMiddleware``)
/// is left out of the other methods' routes, which then pay no call through it.
public final class SegmentRouter<Context: RequestContext>: RouterMethods, HTTPResponderBuilder {
    /// A route as registered: its template and method.
    public struct Route: Sendable {
        public let path: RouterPath
        public let method: HTTPRequest.Method
    }

    private var middlewares: [any MiddlewareProtocol<Request, Response, Context>] = []
    private var endpoints: [Endpoint] = []
    private var endpointIndex: [String: Int] = [:]
    /// Routes added twice: the second would silently replace the first.
    private var duplicates: [String] = []
    /// Every route in the order it was added.
    public private(set) var routes: [Route] = []

    public init(context: Context.Type = Context.self) {}

    /// Adds `responder` for `method` on `path`, behind the middleware added so far.
    @discardableResult
    public func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self where Responder.Context == Context {
        let chained = Self.chain(middlewares, to: responder, for: method)
        let template = path.description
        let index = endpointIndex[template] ?? {
            endpoints.append(Endpoint(path: path))
            endpointIndex[template] = endpoints.count - 1
            return endpoints.count - 1
        }()
        if endpoints[index].methods[method] != nil { duplicates.append("\(method.rawValue) \(template)") }
        endpoints[index].methods[method] = chained
        routes.append(Route(path: path, method: method))
        return self
    }

    /// Adds middleware in front of the routes added after it, and of the not-found chain.
    @discardableResult
    public func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        middlewares.append(middleware)
        return self
    }

    /// Throws naming the first route the router cannot serve as written: one added twice, a
    /// wildcard, a partial capture (`{id}.json`), or a capture whose name differs from another's
    /// at the same position.
    public func validate() throws {
        _ = try tree()
    }

    private func tree() throws -> RouteTree {
        if let duplicate = duplicates.first {
            throw UnroutableTemplate(template: duplicate, reason: "is added twice; the second handler would replace the first")
        }
        return try RouteTree(endpoints.map(\.path))
    }

    /// The responder that serves the routes. Traps on a route ``validate()`` refuses: that is a
    /// programming error, caught by the tests that build the router.
    public func buildResponder() -> Responder {
        let tree: RouteTree
        do {
            tree = try self.tree()
        } catch {
            preconditionFailure("\(error)")
        }
        let endpoints = endpoints.map { endpoint in
            var methods = endpoint.methods
            if methods[.head] == nil, let get = methods[.get] { methods[.head] = HeadResponder(get: get) }
            return Responder.Endpoint(template: endpoint.path.description, methods: methods)
        }
        return Responder(tree: tree, endpoints: endpoints, notFound: Self.chain(middlewares, to: NotFound(), for: nil))
    }

    private struct Endpoint {
        let path: RouterPath
        var methods: [HTTPRequest.Method: any HTTPResponder<Context>] = [:]
    }

    /// `middlewares` in front of `responder`, leaving out those scoped to other methods than a
    /// route's `method` (`nil`: the not-found chain, which any method may reach, keeps them all).
    private static func chain(
        _ middlewares: [any MiddlewareProtocol<Request, Response, Context>], to responder: some HTTPResponder<Context>, for method: HTTPRequest.Method?
    ) -> any HTTPResponder<Context> {
        var chained: any HTTPResponder<Context> = responder
        for middleware in middlewares.reversed() {
            if let method, let scoped = middleware as? any MethodScopedMiddleware, !scoped.methods.contains(method) { continue }
            chained = Link(middleware: middleware, next: chained)
        }
        return chained
    }

    /// One middleware in front of the rest of its chain.
    private struct Link: HTTPResponder {
        let middleware: any MiddlewareProtocol<Request, Response, Context>
        let next: any HTTPResponder<Context>

        func respond(to request: Request, context: Context) async throws -> Response {
            try await middleware.handle(request, context: context) { request, context in try await next.respond(to: request, context: context) }
        }
    }

    /// A `HEAD` answered as the `GET` would be, without its body.
    private struct HeadResponder: HTTPResponder {
        let get: any HTTPResponder<Context>

        func respond(to request: Request, context: Context) async throws -> Response {
            try await get.respond(to: request, context: context).createHeadResponse()
        }
    }

    private struct NotFound: HTTPResponder {
        func respond(to request: Request, context: Context) async throws -> Response {
            throw HTTPError(.notFound)
        }
    }
}

/// Middleware with work for requests of some methods only, and none for the rest: the
/// ``SegmentRouter`` puts it in front of those methods' routes alone (a `GET` route's `HEAD` is
/// the `GET`'s), and in front of the not-found chain. Each layer costs every request that passes
/// through it a few async calls, even one that does nothing.
public protocol MethodScopedMiddleware {
    /// The methods whose routes the middleware is put in front of.
    var methods: Set<HTTPRequest.Method> { get }
}

/// A template the router cannot serve, named.
public struct UnroutableTemplate: Error, CustomStringConvertible {
    public let template: String
    public let reason: String

    public var description: String { "route \(template): \(reason)" }
}
