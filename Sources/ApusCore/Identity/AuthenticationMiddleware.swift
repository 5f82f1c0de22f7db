import Foundation
import HTTPTypes
public import Hummingbird

/// Reads `Authorization: Bearer ...` on every request: an `apus_` API key or an access token.
/// `Basic` is taken too, with an API key as the password (the user name is ignored), for the
/// log shippers and tools that can send nothing else; never with an access token or a password.
/// A missing header leaves the request anonymous; a present but bad one is refused at once.
///
/// Failed authentications count against the client's address (`APUS_RATE_LIMIT_AUTH_FAILURES`):
/// once they run out, any credentials from that address get 429 before they are looked up, so
/// guessing keys or replaying forged tokens costs neither a database read nor an answer.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = ApusRequestContext

    let identity: Identity
    let failures: RateLimiter
    let clientAddress: ClientAddress
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    init(identity: Identity, failures: RateLimiter, clientAddress: ClientAddress) {
        self.identity = identity
        self.failures = failures
        self.clientAddress = clientAddress
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers.first(.authorization) {
            try await authenticate(request, header: header, &context)
        }
        return try await next(request, context)
    }

    /// Gives `context` the caller that `header` (the request's `Authorization`) names; a 401 (or
    /// 429) problem when the credentials are bad. Requests without the header never come here,
    /// so an anonymous request pays no call and no copy of its context.
    func authenticate(_ request: Request, header: String, _ context: inout Context) async throws {
        let address = clientAddress.resolve(peer: context.peerAddress, forwardedFor: request.headers[Self.forwardedFor])
        let wait = failures.waitBeforeNext(address)
        guard wait == 0 else { throw Self.tooManyFailures(retryAfter: wait) }
        let scheme = header.utf8.prefix(7)
        let token: String
        if header.utf8.count > 7, scheme.elementsEqual("bearer ".utf8, by: { $0 | 0x20 == $1 }) {
            // Byte work: Foundation's trimming bridged the whole token through UTF-16, which
            // showed at the top of a profile of authenticated requests, and dropping characters
            // walks grapheme breaks.
            token = String(Substring(header.utf8.dropFirst(7).drop { $0 == UInt8(ascii: " ") }))
        } else if header.utf8.count > 6, header.utf8.prefix(6).elementsEqual("basic ".utf8, by: { $0 | 0x20 == $1 }) {
            guard let key = Self.basicPassword(header.dropFirst(6)), APIKeyStore.isWellFormed(key) else {
                throw failed(address, Problem.unauthorized("Basic authentication takes an API key as the password."))
            }
            token = key
        } else {
            throw failed(address, Problem.unauthorized("Authorization must be 'Bearer <token>'."))
        }
        guard let principal = try await identity.principal(token: token) else { throw failed(address, Problem.unauthorized("The token is invalid, expired or revoked.")) }
        context.principal = principal
    }

    /// The password of a `Basic` credential (RFC 7617): what follows the first colon of the
    /// decoded user-pass.
    static func basicPassword(_ credentials: Substring) -> String? {
        guard let data = Data(base64Encoded: String(credentials.drop { $0 == " " })),
              let pair = String(data: data, encoding: .utf8),
              let colon = pair.firstIndex(of: ":") else { return nil }
        return String(pair[pair.index(after: colon)...])
    }

    /// Counts a failed authentication from `address`: `problem`, or 429 once they run out.
    private func failed(_ address: String, _ problem: Problem) -> Problem {
        let outcome = failures.take(address)
        return outcome.allowed ? problem : Self.tooManyFailures(retryAfter: outcome.reset)
    }

    static func tooManyFailures(retryAfter seconds: Int) -> Problem {
        Problem(.tooManyRequests, detail: "Too many failed authentications from this address; retry later.", headers: [.retryAfter: String(seconds)])
    }
}

/// Lets a request through only if its caller holds `permission`: 401 when anonymous, 403 when
/// not allowed.
public struct RequirePermission: RouterMiddleware {
    public typealias Context = ApusRequestContext

    public let permission: Permission

    public init(_ permission: Permission) {
        self.permission = permission
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        _ = try context.require(permission)
        return try await next(request, context)
    }
}

extension ApusRequestContext {
    /// The caller, if they hold `permission`; else a 401 or 403 problem.
    public func require(_ permission: Permission) throws -> Principal {
        guard let principal else { throw Problem.unauthorized("Authentication is required.") }
        guard principal.has(permission) else {
            throw Problem(.forbidden, detail: "This needs the '\(permission.name)' permission.")
        }
        return principal
    }
}

extension Problem {
    /// 401 with the `WWW-Authenticate` challenge.
    public static func unauthorized(_ detail: String) -> Problem {
        Problem(.unauthorized, detail: detail, headers: [.wwwAuthenticate: #"Bearer realm="apus""#])
    }
}
