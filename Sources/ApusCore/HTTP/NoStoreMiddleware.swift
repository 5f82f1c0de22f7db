public import Hummingbird

/// Marks every response of the routes it wraps `Cache-Control: no-store`: responses that carry
/// secrets (tokens, API keys, webhook secrets) are kept by no cache, and never by the
/// `Idempotency-Key` store either.
public struct NoStoreMiddleware: RouterMiddleware {
    public typealias Context = ApusRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            response.headers[.cacheControl] = "no-store"
            return response
        } catch var problem as Problem {
            problem.headers[.cacheControl] = "no-store"
            throw problem
        }
    }
}

extension HTTPFields {
    /// Whether these response headers forbid keeping the response.
    var forbidStoring: Bool { self[.cacheControl]?.contains("no-store") == true }
}
