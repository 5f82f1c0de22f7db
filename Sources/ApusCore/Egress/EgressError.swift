/// Why an outbound request produced no response.
public enum EgressError: Error, Sendable, Equatable {
    /// The destination is not allowed: an internal address or a scheme other than http(s).
    case refused(String)
    /// The host failed repeatedly and is given time to recover; nothing was sent.
    case circuitOpen(host: String)
    /// No answer within the time allowed.
    case timeout
    /// The connection failed or broke, or the host name did not resolve.
    case transport(String)
    /// The response body is larger than the limit.
    case responseTooLarge
    /// The URL is not an absolute http(s) URL with a host.
    case invalidURL
    /// The calling task was cancelled.
    case cancelled
}

extension EgressError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .refused(let reason): "egress refused: \(reason)"
        case .circuitOpen(let host): "egress circuit open for \(host)"
        case .timeout: "egress timed out"
        case .transport(let reason): "egress transport error: \(reason)"
        case .responseTooLarge: "egress response too large"
        case .invalidURL: "egress URL invalid"
        case .cancelled: "egress cancelled"
        }
    }
}

extension EgressError {
    /// The `outcome` label of the request counter.
    var outcome: String {
        switch self {
        case .refused: "refused"
        case .circuitOpen: "circuit_open"
        case .timeout: "timeout"
        case .transport: "transport_error"
        case .responseTooLarge: "too_large"
        case .invalidURL: "invalid_url"
        case .cancelled: "cancelled"
        }
    }
}
