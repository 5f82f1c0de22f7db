import HTTPTypes
public import Hummingbird

/// Applies a rate limit to the routes it wraps, keyed by API key, else user, else client
/// address. Every answer carries `RateLimit-Policy` and `RateLimit` (unless told not to
/// advertise: public redirects, where nobody reads them, send them only with a 429); a refused
/// request gets 429 with `Retry-After`.
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = ApusRequestContext

    static let policyHeader = HTTPField.Name("RateLimit-Policy")!
    static let limitHeader = HTTPField.Name("RateLimit")!
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    let limiter: any RateLimiting
    let clientAddress: ClientAddress
    let advertises: Bool

    public init(limiter: any RateLimiting, clientAddress: ClientAddress, advertises: Bool = true) {
        self.limiter = limiter
        self.clientAddress = clientAddress
        self.advertises = advertises
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let key = context.principal.map { $0.apiKeyID.map { "key:\($0)" } ?? "user:\($0.userID)" }
            ?? "ip:" + clientAddress.resolve(peer: context.peerAddress, forwardedFor: request.headers[Self.forwardedFor])
        let outcome = try await limiter.acquire(key)
        if outcome.allowed, !advertises { return try await next(request, context) }
        let policy = limiter.policy
        let headers: HTTPFields = [
            Self.policyHeader: policy.policyHeader,
            Self.limitHeader: "\"\(policy.name)\";r=\(outcome.remaining);t=\(outcome.reset)",
        ]
        guard outcome.allowed else {
            var problemHeaders = headers
            problemHeaders[.retryAfter] = String(outcome.reset)
            throw Problem(.tooManyRequests, detail: "Rate limit '\(policy.name)' exceeded; retry in \(outcome.reset) s.", headers: problemHeaders)
        }
        do {
            var response = try await next(request, context)
            response.headers.append(contentsOf: headers)
            return response
        } catch var problem as Problem {
            problem.headers.append(contentsOf: headers)
            throw problem
        }
    }
}
