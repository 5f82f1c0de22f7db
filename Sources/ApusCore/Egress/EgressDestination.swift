import Foundation

/// Where an outbound request goes, as the policy checked it.
public struct EgressDestination: Sendable, Equatable {
    /// `http` or `https`.
    public let scheme: String
    /// The host name or address, lower-cased, without brackets or a trailing dot.
    public let host: String
    /// The port, the scheme's default when the URL names none.
    public let port: Int
    /// The checked address to connect to instead of resolving `host` again, which would let a
    /// second DNS answer (rebinding) reach an internal address. Only plain http is pinned: for
    /// https the certificate must match the name, which a rebound internal host cannot present.
    var pinnedAddress: IPAddress?
    let url: URL

    /// Parses an absolute http(s) URL.
    init(_ text: String) throws(EgressError) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else { throw .invalidURL }
        guard scheme == "http" || scheme == "https" else { throw .refused("scheme '\(scheme)' is not http or https") }
        guard var host = url.host?.lowercased(), !host.isEmpty else { throw .invalidURL }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host.removeLast() }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        guard !host.isEmpty, (1...65535).contains(port) else { throw .invalidURL }
        self.scheme = scheme
        self.host = host
        self.port = port
        self.url = url
    }

    /// `host:port`, the unit of circuit breaking, concurrency limits and metrics.
    public var authority: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// What the request is sent to: the URL itself, or the same path on the pinned address.
    var requestURL: String {
        guard let pinnedAddress else { return url.absoluteString }
        var path = url.path(percentEncoded: true)
        if path.isEmpty { path = "/" }
        let query = url.query(percentEncoded: true).map { "?\($0)" } ?? ""
        return "\(scheme)://\(pinnedAddress.uriHost):\(port)\(path)\(query)"
    }

    /// The `Host` header a pinned request carries, naming the host the caller asked for.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (scheme == "https" ? 443 : 80) ? name : "\(name):\(port)"
    }
}
