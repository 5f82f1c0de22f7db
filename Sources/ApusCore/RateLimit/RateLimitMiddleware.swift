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
    /// The limiter when it is this node's own: taken from without an async call through the
    /// protocol, on every request of the API.
    private let local: RateLimiter?
    let clientAddress: ClientAddress
    let advertises: Bool
    /// `RateLimit-Policy`, the same on every answer, and the start of `RateLimit`'s value:
    /// made once, as every answer carries them.
    private let policyField: HTTPField
    private let limitPrefix: String

    public init(limiter: any RateLimiting, clientAddress: ClientAddress, advertises: Bool = true) {
        self.limiter = limiter
        self.local = limiter as? RateLimiter
        self.clientAddress = clientAddress
        self.advertises = advertises
        self.policyField = HTTPField(name: Self.policyHeader, value: limiter.policy.policyHeader)
        self.limitPrefix = "\"\(limiter.policy.name)\";r="
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let key = context.principal?.callerKey
            ?? "ip:" + clientAddress.resolve(peer: context.peerAddress, forwardedFor: request.headers[Self.forwardedFor])
        let outcome = if let local { local.take(key) } else { try await limiter.acquire(key) }
        if outcome.allowed, !advertises { return try await next(request, context) }
        let limitField = HTTPField(name: Self.limitHeader, value: limitValue(outcome))
        guard outcome.allowed else {
            let headers = HTTPFields([policyField, limitField, HTTPField(name: .retryAfter, value: String(outcome.reset))])
            throw Problem(.tooManyRequests, detail: "Rate limit '\(limiter.policy.name)' exceeded; retry in \(outcome.reset) s.", headers: headers)
        }
        do {
            var response = try await next(request, context)
            response.headers.append(policyField)
            response.headers.append(limitField)
            return response
        } catch var problem as Problem {
            problem.headers.append(policyField)
            problem.headers.append(limitField)
            throw problem
        }
    }

    /// `"<policy>";r=<remaining>;t=<reset>`, written into one allocation.
    private func limitValue(_ outcome: RateLimiter.Outcome) -> String {
        var value = limitPrefix
        value.reserveCapacity(limitPrefix.utf8.count + 24)
        value.append(String(outcome.remaining))
        value.append(";t=")
        value.append(String(outcome.reset))
        return value
    }
}
