import Hummingbird

/// The methods each route template serves, for answering a request whose path exists but whose
/// method does not: 405 with `Allow` for any method (including ones the router has never heard
/// of, like `QUERY`), and 204 with `Allow` for `OPTIONS`.
public struct AllowedMethods: Sendable {
    private struct Route: Sendable {
        let template: String
        let components: [Substring]
        let allow: String
    }

    private let routes: [Route]

    /// Reads every route registered on `router` so far.
    public init(router: SegmentRouter<ApusRequestContext>) {
        let order: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]
        var methods: [String: Set<HTTPRequest.Method>] = [:]
        for route in router.routes {
            methods[route.path.description, default: []].insert(route.method)
        }
        self.routes = methods.map { template, served in
            var allowed = served
            // HEAD is generated for every GET; OPTIONS is answered here.
            if allowed.contains(.get) { allowed.insert(.head) }
            allowed.insert(.options)
            let allow = order.filter { allowed.contains($0) }.map(\.rawValue).joined(separator: ", ")
            return Route(template: template, components: template.split(separator: "/"), allow: allow)
        }.sorted { $0.template < $1.template }
    }

    /// The route template matching `path` and its `Allow` value, if any route matches.
    func match(_ path: String) -> (template: String, allow: String)? {
        let parts = path.split(separator: "/")
        for route in routes where Self.matches(route.components, parts) {
            return (route.template, route.allow)
        }
        return nil
    }

    private static func matches(_ template: [Substring], _ parts: [Substring]) -> Bool {
        var index = 0
        for component in template {
            if component == "**" { return true }
            guard index < parts.count else { return false }
            let isCapture = component.hasPrefix("{") || component.hasSuffix("}") || component == "*"
            if !isCapture, component != parts[index] { return false }
            index += 1
        }
        return index == parts.count
    }
}

/// Sits only in the chain of requests no route answered (it is added after every route), and
/// turns "no route for this method" into 405 or an `OPTIONS` answer.
struct AllowedMethodsMiddleware: RouterMiddleware {
    typealias Context = ApusRequestContext

    let allowedMethods: AllowedMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let (template, allow) = allowedMethods.match(request.uri.path) else { throw error }
            context.coreContext.endpointPath.value = template
            if request.method == .options {
                return Response(status: .noContent, headers: [.allow: allow])
            }
            throw Problem(
                .methodNotAllowed,
                detail: "\(request.method.rawValue) is not allowed here; allowed: \(allow).",
                headers: [.allow: allow]
            )
        }
    }
}
