/// Why a message could not be handed to an SMTP server.
///
/// `isTransient` tells failures that may pass on a later try (4xx replies, lost connections,
/// timeouts, TLS trouble) from permanent ones (5xx replies, a provider that cannot work as
/// configured).
enum SMTPError: Error, Sendable, Equatable {
    /// The step of the conversation a failure happened in.
    enum Step: Sendable, Equatable {
        /// Waiting for the server's 220 greeting.
        case greeting
        /// EHLO or HELO.
        case hello
        /// STARTTLS and the TLS handshake after it.
        case startTLS
        /// AUTH.
        case authentication
        /// MAIL FROM.
        case mailFrom
        /// RCPT TO for the given address.
        case recipient(String)
        /// The DATA command.
        case data
        /// The message content and its final dot.
        case message
        /// QUIT.
        case quit
    }

    /// No TCP connection could be made (refused, unreachable, name not resolved, connect timeout).
    case connectionFailed(host: String, port: Int, reason: String)
    /// The connection closed or failed during the conversation.
    case connectionLost(during: Step, reason: String)
    /// The whole exchange took longer than the client's timeout.
    case timedOut(after: Duration)
    /// The server answered 4xx: try again later.
    case transientFailure(during: Step, reply: SMTPReply)
    /// The server answered 5xx: this will not succeed as it is.
    case permanentFailure(during: Step, reply: SMTPReply)
    /// The server answered with a code that makes no sense at this step.
    case unexpectedReply(during: Step, reply: SMTPReply)
    /// The server sent something that is not an SMTP reply.
    case malformedReply(during: Step, line: String)
    /// TLS could not be set up (handshake failed, certificate not trusted).
    case tlsFailed(reason: String)
    /// The provider has credentials but the server offers neither AUTH PLAIN nor AUTH LOGIN.
    case authenticationUnavailable(offered: [String])
    /// The provider has credentials but the connection is not encrypted, and the client does
    /// not allow sending them in clear text.
    case credentialsRequireTLS

    /// Whether a later try may succeed without anything being changed.
    var isTransient: Bool {
        switch self {
        case .connectionFailed, .connectionLost, .timedOut, .transientFailure, .unexpectedReply, .malformedReply, .tlsFailed:
            true
        case .permanentFailure, .authenticationUnavailable, .credentialsRequireTLS:
            false
        }
    }

    /// Whether the failure is permanent: retrying as it is will not help.
    var isPermanent: Bool { !isTransient }

    /// The server's reply, when the failure is one.
    var reply: SMTPReply? {
        switch self {
        case .transientFailure(_, let reply), .permanentFailure(_, let reply), .unexpectedReply(_, let reply):
            reply
        default:
            nil
        }
    }

    /// Makes the error for a reply that is not the one expected at `step`.
    static func rejection(_ reply: SMTPReply, during step: Step) -> SMTPError {
        if reply.isTransientFailure { return .transientFailure(during: step, reply: reply) }
        if reply.isPermanentFailure { return .permanentFailure(during: step, reply: reply) }
        return .unexpectedReply(during: step, reply: reply)
    }
}

extension SMTPError.Step: CustomStringConvertible {
    /// The step as the SMTP command it stands for.
    var description: String {
        switch self {
        case .greeting: "greeting"
        case .hello: "EHLO"
        case .startTLS: "STARTTLS"
        case .authentication: "AUTH"
        case .mailFrom: "MAIL FROM"
        case .recipient(let address): "RCPT TO:<\(address)>"
        case .data: "DATA"
        case .message: "message content"
        case .quit: "QUIT"
        }
    }
}

extension SMTPError: CustomStringConvertible {
    /// Explains the failure with the server's code and text where there is one.
    var description: String {
        switch self {
        case .connectionFailed(let host, let port, let reason):
            "could not connect to SMTP server \(host):\(port): \(reason)"
        case .connectionLost(let step, let reason):
            "SMTP connection lost during \(step): \(reason)"
        case .timedOut(let duration):
            "SMTP exchange did not finish within \(duration)"
        case .transientFailure(let step, let reply):
            "SMTP server temporarily refused \(step): \(reply)"
        case .permanentFailure(let step, let reply):
            "SMTP server rejected \(step): \(reply)"
        case .unexpectedReply(let step, let reply):
            "SMTP server gave an unexpected reply to \(step): \(reply)"
        case .malformedReply(let step, let line):
            "SMTP server sent a malformed reply during \(step): \(line.prefix(200))"
        case .tlsFailed(let reason):
            "TLS with the SMTP server failed: \(reason)"
        case .authenticationUnavailable(let offered):
            "SMTP server offers no supported AUTH mechanism (PLAIN, LOGIN); it offers: \(offered.isEmpty ? "none" : offered.joined(separator: " "))"
        case .credentialsRequireTLS:
            "SMTP credentials are configured but the connection is not encrypted (the server offers no STARTTLS); refusing to send them in clear text"
        }
    }
}
