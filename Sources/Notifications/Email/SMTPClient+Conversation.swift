import Foundation
import NIOSSL

extension SMTPClient {
    /// Runs the conversation from the greeting until the server accepts the message
    /// (RFC 5321 section 3.3, RFC 3207 for STARTTLS, RFC 4954 for AUTH).
    func deliver(
        on connection: SMTPConnection,
        provider: SMTPProvider,
        sender: String,
        recipients: [String],
        content: String,
        tlsContext: NIOSSLContext
    ) async throws(SMTPError) {
        let greeting = try await connection.readReply(during: .greeting)
        guard greeting.code == 220 else { throw .rejection(greeting, during: .greeting) }

        var capabilities = try await hello(on: connection)
        if !connection.isEncrypted, capabilities.supportsStartTLS {
            let reply = try await connection.command("STARTTLS", during: .startTLS)
            guard reply.code == 220 else { throw .rejection(reply, during: .startTLS) }
            try await connection.startTLS(context: tlsContext, serverHost: provider.host)
            // RFC 3207: everything learned before TLS is discarded, so ask again.
            capabilities = try await hello(on: connection)
        }

        if let username = provider.username {
            guard connection.isEncrypted || allowsCredentialsWithoutTLS else { throw .credentialsRequireTLS }
            try await authenticate(
                on: connection,
                username: username,
                password: provider.password ?? "",
                capabilities: capabilities
            )
        }

        try await expectCompletion(connection.command("MAIL FROM:<\(sender)>", during: .mailFrom), during: .mailFrom)
        for recipient in recipients {
            let step = SMTPError.Step.recipient(recipient)
            try await expectCompletion(connection.command("RCPT TO:<\(recipient)>", during: step), during: step)
        }
        let dataReply = try await connection.command("DATA", during: .data)
        guard dataReply.code == 354 else { throw .rejection(dataReply, during: .data) }
        try await connection.write(Self.dataSection(content), during: .message)
        try await expectCompletion(connection.readReply(during: .message), during: .message)
    }

    /// The message as DATA sends it: lines beginning with `.` get a second one so the server
    /// does not take them for the end (RFC 5321 section 4.5.2), then the closing `.` line.
    static func dataSection(_ content: String) -> String {
        var stuffed = content.replacingOccurrences(of: "\r\n.", with: "\r\n..")
        if stuffed.hasPrefix(".") { stuffed = "." + stuffed }
        if !stuffed.hasSuffix("\r\n") { stuffed += "\r\n" }
        return stuffed + ".\r\n"
    }

    /// Says EHLO, or HELO to an old server that does not know EHLO, and returns what it offers.
    private func hello(on connection: SMTPConnection) async throws(SMTPError) -> SMTPCapabilities {
        let name = ehloName
        let reply = try await connection.command("EHLO \(name)", during: .hello)
        if reply.isPositiveCompletion { return SMTPCapabilities(ehloReply: reply) }
        // 500 and 502 mean the command is unknown: a server from before RFC 1869.
        guard reply.code == 500 || reply.code == 502 else { throw .rejection(reply, during: .hello) }
        try await expectCompletion(connection.command("HELO \(name)", during: .hello), during: .hello)
        return SMTPCapabilities()
    }

    /// Authenticates with AUTH PLAIN when offered, else AUTH LOGIN.
    private func authenticate(
        on connection: SMTPConnection,
        username: String,
        password: String,
        capabilities: SMTPCapabilities
    ) async throws(SMTPError) {
        let mechanisms = capabilities.authenticationMechanisms
        if mechanisms.contains("PLAIN") {
            // RFC 4616: authorization identity (empty), NUL, user, NUL, password.
            let response = Self.base64("\0\(username)\0\(password)")
            try await expectAuthenticated(connection.command("AUTH PLAIN \(response)", during: .authentication))
        } else if mechanisms.contains("LOGIN") {
            // The server's prompts are always user name, then password, each as a 334.
            try await expectChallenge(connection.command("AUTH LOGIN", during: .authentication))
            try await expectChallenge(connection.command(Self.base64(username), during: .authentication))
            try await expectAuthenticated(connection.command(Self.base64(password), during: .authentication))
        } else {
            throw .authenticationUnavailable(offered: mechanisms.sorted())
        }
    }

    /// The EHLO name with anything that could break the command line removed.
    private var ehloName: String {
        let allowed = hostname.filter { $0.isASCII && ($0.isLetter || $0.isNumber || "-.[]:".contains($0)) }
        return allowed.isEmpty ? "localhost" : allowed
    }

    private func expectCompletion(_ reply: SMTPReply, during step: SMTPError.Step) throws(SMTPError) {
        guard reply.isPositiveCompletion else { throw .rejection(reply, during: step) }
    }

    private func expectChallenge(_ reply: SMTPReply) throws(SMTPError) {
        guard reply.code == 334 else { throw .rejection(reply, during: .authentication) }
    }

    private func expectAuthenticated(_ reply: SMTPReply) throws(SMTPError) {
        guard reply.code == 235 else { throw .rejection(reply, during: .authentication) }
    }

    private static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }
}
