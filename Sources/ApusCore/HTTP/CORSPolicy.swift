public import HTTPTypes

/// Which browser origins may call the API from their pages (`APUS_CORS_ORIGINS`), and the
/// headers that tell a browser so: the answer to a preflight, and what an actual answer adds.
/// No origins (the default) means no CORS headers at all, and no work per request.
///
/// The origin a request names is echoed (never `*`), with `Vary: Origin`; no credentials mode is
/// offered, since the API authenticates with bearer tokens, not cookies.
public struct CORSPolicy: Sendable, Equatable {
    /// Allowed origins, as `scheme://host[:port]` in lower case without a default port.
    public let origins: Set<String>
    /// `*` was given: every origin is allowed.
    public let allowsEveryOrigin: Bool

    /// No CORS headers at all.
    public static let disabled = CORSPolicy(origins: [], allowsEveryOrigin: false)

    init(origins: Set<String>, allowsEveryOrigin: Bool) {
        self.origins = origins
        self.allowsEveryOrigin = allowsEveryOrigin
    }

    /// Whether any origin is allowed.
    public var isEnabled: Bool { allowsEveryOrigin || !origins.isEmpty }

    /// The comma-separated `text` of `setting`: `*`, or origins such as `https://app.example.com`.
    public static func parse(_ text: String, setting: String = "APUS_CORS_ORIGINS") throws(ConfigurationError) -> CORSPolicy {
        var origins: Set<String> = []
        var every = false
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            if entry == "*" {
                every = true
            } else if let origin = normalized(entry) {
                origins.insert(origin)
            } else {
                throw .invalid(setting, "'\(entry)' is no origin (scheme://host[:port], no path) nor *")
            }
        }
        return CORSPolicy(origins: origins, allowsEveryOrigin: every)
    }

    /// `text` as a browser writes an origin, or `nil` when it is none.
    static func normalized(_ text: String) -> String? {
        let lower = text.lowercased()
        let scheme = lower.hasPrefix("https://") ? "https://" : lower.hasPrefix("http://") ? "http://" : nil
        guard let scheme else { return nil }
        var authority = Substring(lower.dropFirst(scheme.count))
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-.:[]")
        guard !authority.isEmpty, authority.allSatisfy(allowed.contains), !authority.hasPrefix(":") else { return nil }
        let defaultPort = scheme == "https://" ? ":443" : ":80"
        if authority.hasSuffix(defaultPort) { authority = authority.dropLast(defaultPort.count) }
        return scheme + authority
    }

    /// The request's `Origin` if it is allowed; `nil` at once when CORS is off or none is sent.
    @inlinable
    public func allowedOrigin(_ headers: HTTPFields) -> String? {
        guard isEnabled, let origin = headers[.origin] else { return nil }
        return allowsEveryOrigin || origins.contains(origin.lowercased()) ? origin : nil
    }

    /// Whether `request` is a preflight: `OPTIONS` with `Access-Control-Request-Method` (tus's
    /// own `OPTIONS`, without it, is an ordinary request).
    public static func isPreflight(_ request: HTTPRequest) -> Bool {
        request.method == .options && request.headerFields[.accessControlRequestMethod] != nil
    }

    /// The answer to a preflight from `origin`.
    public func preflightHeaders(origin: String) -> HTTPFields {
        [
            .accessControlAllowOrigin: origin, .accessControlAllowMethods: Self.allowedMethods,
            .accessControlAllowHeaders: Self.allowedHeaders, .accessControlMaxAge: "600",
            .vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        ]
    }

    /// Adds to an actual answer for `origin` what lets the page read it.
    public func decorate(_ headers: inout HTTPFields, origin: String) {
        headers[.accessControlAllowOrigin] = origin
        headers[.accessControlExposeHeaders] = Self.exposedHeaders
        headers.append(HTTPField(name: .vary, value: "Origin"))
    }

    public static let allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

    /// What browsers may send: the tus request headers, credentials, JSON, replay keys, ranges.
    public static let allowedHeaders = [
        "Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID", "X-HTTP-Method-Override", "X-Requested-With",
        "Tus-Resumable", "Upload-Length", "Upload-Offset", "Upload-Metadata", "Upload-Checksum", "Upload-Concat",
        "Upload-Defer-Length", "Range", "If-None-Match", "If-Range", "If-Match", "Apus-Consistency",
    ].joined(separator: ", ")

    /// What a page may read besides the safelisted headers: tus's answers, `Location`, and the
    /// platform's own.
    public static let exposedHeaders = [
        "Location", "Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size", "Tus-Checksum-Algorithm",
        "Upload-Offset", "Upload-Length", "Upload-Metadata", "Upload-Defer-Length", "Upload-Expires", "Upload-Concat",
        "ETag", "Content-Range", "Accept-Ranges", "Content-Disposition", "Content-Length", "Retry-After", "X-Request-ID", "Apus-Consistency",
        "RateLimit", "RateLimit-Policy", "Idempotent-Replayed", "WWW-Authenticate",
    ].joined(separator: ", ")
}
