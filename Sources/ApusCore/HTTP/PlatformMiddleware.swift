public import Hummingbird

/// What the platform does around every request, in one layer: the request id and trace
/// context, authentication, a problem for any error, and metrics of the answer. One layer
/// instead of four because each async middleware frame costs on every request (a profile of the
/// redirect path put the Swift runtime's share of the CPU at a third); the pieces stay the
/// separate middlewares they were, and this composes them in the same order.
public struct PlatformMiddleware: RouterMiddleware {
    public typealias Context = ApusRequestContext

    let metrics: HTTPMetricsMiddleware
    let authentication: AuthenticationMiddleware

    init(metrics: HTTPMetricsMiddleware, authentication: AuthenticationMiddleware) {
        self.metrics = metrics
        self.authentication = authentication
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let scope = RequestIdentityMiddleware.begin(request, &context)
        let start = ContinuousClock.now
        var response = try await RequestLogScope.$current.withValue(scope) {
            do {
                if let header = request.headers.first(.authorization) {
                    try await authentication.authenticate(request, header: header, &context)
                }
                return try await next(request, context)
            } catch {
                return try ProblemMiddleware.problem(for: error, request: request, context: context).response(from: request, context: context)
            }
        }
        metrics.record(request, context, status: response.status, since: start)
        RequestIdentityMiddleware.end(&response, requestID: scope.requestID)
        return response
    }
}
