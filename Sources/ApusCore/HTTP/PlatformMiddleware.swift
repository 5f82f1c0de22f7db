public import Hummingbird

/// What the platform does around every request, in one layer: the request id and trace
/// context, CORS (preflights answered here, before authentication), authentication, a problem for
/// any error, and metrics of the answer. One layer
/// instead of four because each async middleware frame costs on every request (a profile of the
/// redirect path put the Swift runtime's share of the CPU at a third); the pieces stay the
/// separate middlewares they were, and this composes them in the same order.
public struct PlatformMiddleware: RouterMiddleware {
    public typealias Context = ApusRequestContext

    let metrics: HTTPMetricsMiddleware
    let authentication: AuthenticationMiddleware
    let cors: CORSPolicy
    let errorShapes: [ErrorShape]
    /// Read replicas, where configured: requests then carry their read-your-writes position.
    let replicas: ReadReplicas?

    init(
        metrics: HTTPMetricsMiddleware, authentication: AuthenticationMiddleware, cors: CORSPolicy = .disabled, errorShapes: [ErrorShape] = [],
        replicas: ReadReplicas? = nil
    ) {
        self.metrics = metrics
        self.authentication = authentication
        self.cors = cors
        self.errorShapes = errorShapes
        self.replicas = replicas
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let scope = RequestIdentityMiddleware.begin(request, &context)
        let start = ContinuousClock.now
        // Nothing more than a flag test when CORS is off, and a header lookup without `Origin`.
        let origin = cors.allowedOrigin(request.headers)
        var response: Response
        if let origin, CORSPolicy.isPreflight(request.head) {
            response = Response(status: .noContent, headers: cors.preflightHeaders(origin: origin))
        } else {
            response = try await RequestLogScope.$current.withValue(scope) {
                guard let replicas else { return try await answer(request, context, next, scope: scope) }
                return try await ReadConsistencyMiddleware.around(request, replicas: replicas) { malformed in
                    try await answer(request, context, next, scope: scope, refusing: malformed)
                }
            }
            if let origin { cors.decorate(&response.headers, origin: origin) }
        }
        metrics.record(request, context, status: response.status, since: start)
        RequestIdentityMiddleware.end(&response, requestID: scope.requestID)
        return response
    }

    /// Authentication, the route, and a problem for any error.
    private func answer(
        _ request: Request, _ context: Context, _ next: (Request, Context) async throws -> Response, scope: RequestLogScope,
        refusing problem: Problem? = nil
    ) async throws -> Response {
        var context = context
        do {
            if let problem { throw problem }
            if let header = request.headers.first(.authorization) {
                try await authentication.authenticate(request, header: header, &context)
            }
        } catch {
            return try self.problem(for: error, request, context)
        }
        guard let principal = context.principal else { return try await route(request, context, next) }
        // Log lines name the caller through the request's scope: setting it on the request's
        // logger copied the logger's metadata on every authenticated request.
        var identified = scope
        identified.userID = principal.userID
        return try await RequestLogScope.$current.withValue(identified) { [context] in try await route(request, context, next) }
    }

    private func route(_ request: Request, _ context: Context, _ next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try problem(for: error, request, context)
        }
    }

    private func problem(for error: any Error, _ request: Request, _ context: Context) throws -> Response {
        let problem = ProblemMiddleware.problem(for: error, request: request, context: context)
        if !errorShapes.isEmpty, let shape = ErrorShape.matching(request.uri.path, in: errorShapes) {
            return shape.render(problem, request)
        }
        return try problem.response(from: request, context: context)
    }
}
