public import HTTPTypes

/// The kind of a problem, named in its `type` so that a client branches on `type` rather than
/// on `detail` text: `urn:apus:problem:<kind>` for the platform's kinds, which follow from the
/// status, and `urn:apus:problem:<module>:<kind>` for what one module means more precisely
/// (declared in its ``OpenAPIFragment/problemTypes``).
public struct ProblemType: Sendable, Hashable, CustomStringConvertible {
    /// The URI that goes in a problem's `type`.
    public let uri: String
    /// What the kind means, for the README and the OpenAPI document.
    public let meaning: String

    public var description: String { uri }

    /// A kind of the platform's own.
    init(_ kind: String, _ meaning: String) {
        self.uri = "urn:apus:problem:" + kind
        self.meaning = meaning
    }

    /// A kind that `module` means more precisely than its status says.
    public static func module(_ module: String, _ kind: String, meaning: String) -> ProblemType {
        ProblemType("\(module):\(kind)", meaning)
    }

    public static func == (lhs: ProblemType, rhs: ProblemType) -> Bool { lhs.uri == rhs.uri }
    public func hash(into hasher: inout Hasher) { hasher.combine(uri) }

    public static let badRequest = ProblemType("bad-request", "The request cannot be read: malformed JSON, a bad header or query.")
    public static let unauthorized = ProblemType("unauthorized", "No credentials, or a token or key that is wrong, expired or revoked.")
    public static let forbidden = ProblemType("forbidden", "The caller is known but may not do this.")
    public static let notFound = ProblemType("not-found", "Nothing here, or nothing the caller may see.")
    public static let methodNotAllowed = ProblemType("method-not-allowed", "The path exists; `Allow` lists its methods.")
    public static let conflict = ProblemType("conflict", "The request conflicts with the current state (a duplicate, a race); read again and retry.")
    public static let gone = ProblemType("gone", "It existed and is no more (expired, used up).")
    public static let preconditionFailed = ProblemType("precondition-failed", "`If-Match` names a version that is no longer current.")
    public static let payloadTooLarge = ProblemType("payload-too-large", "The body, or what it would store, is larger than allowed.")
    public static let unsupportedMediaType = ProblemType("unsupported-media-type", "The body is not of a type this endpoint takes.")
    public static let rangeNotSatisfiable = ProblemType("range-not-satisfiable", "`Range` asks for none of the resource's bytes.")
    public static let validation = ProblemType("validation", "Well-formed but invalid: `errors` names each field and what is wrong with it.")
    public static let upgradeRequired = ProblemType("upgrade-required", "A WebSocket endpoint was asked for without the upgrade.")
    public static let preconditionRequired = ProblemType("precondition-required", "A change needs `If-Match` with the current `ETag`.")
    public static let rateLimited = ProblemType("rate-limited", "Too many requests; `Retry-After` says when to try again.")
    public static let clientError = ProblemType("client-error", "Another client error; the status says which.")
    public static let internalError = ProblemType("internal", "An unexpected error; the detail quotes the request id to report.")
    public static let unavailable = ProblemType("unavailable", "The server cannot do this now (draining, a dependency down, overloaded); retry after `Retry-After`.")
    public static let serverError = ProblemType("server-error", "Another server error; the status says which.")

    /// The platform's kinds, in status order.
    public static let platform: [ProblemType] = [
        .badRequest, .unauthorized, .forbidden, .notFound, .methodNotAllowed, .conflict, .gone, .preconditionFailed, .payloadTooLarge,
        .unsupportedMediaType, .rangeNotSatisfiable, .validation, .upgradeRequired, .preconditionRequired, .rateLimited, .clientError,
        .internalError, .unavailable, .serverError,
    ]

    /// The platform's kind for a status.
    public static func `for`(_ status: HTTPResponse.Status) -> ProblemType {
        switch status.code {
        case 400: .badRequest
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 405: .methodNotAllowed
        case 409: .conflict
        case 410: .gone
        case 412: .preconditionFailed
        case 413: .payloadTooLarge
        case 415: .unsupportedMediaType
        case 416: .rangeNotSatisfiable
        case 422: .validation
        case 426: .upgradeRequired
        case 428: .preconditionRequired
        case 429: .rateLimited
        case 500: .internalError
        case 503: .unavailable
        case ..<500: .clientError
        default: .serverError
        }
    }
}
