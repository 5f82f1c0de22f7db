/// Sends mail through the configured providers, falling back to the next when one fails.
///
/// A provider is abandoned for the next on any failure it may not share with the others:
/// connection trouble, timeouts, TLS, 4xx replies, and 5xx replies too, since a rejection of
/// the sender, of authentication or of relaying is usually that provider's configuration or
/// policy. Two failures are thrown at once instead:
/// - a message that cannot be rendered (`MailMessageError`), which no provider could send;
/// - a recipient rejected as nonexistent or invalid: a 550, 551 or 553 reply to RCPT TO whose
///   enhanced status, if any, is 5.1.x (an addressing problem). Every provider would deliver to
///   the same mailbox, and trying them all only repeats the rejection. A 5.7.x reply to RCPT
///   ("relaying denied") is the provider's policy and does fall back.
struct MailSender: Sendable {
    /// The providers, tried in this order.
    var providers: [SMTPProvider]
    /// The client that talks to each of them.
    var client: SMTPClient

    /// Creates a sender.
    init(providers: [SMTPProvider], client: SMTPClient = SMTPClient()) {
        self.providers = providers
        self.client = client
    }

    /// Sends `message` and returns the provider that accepted it; throws the last provider's
    /// error when none did, or `MailSenderError.noProviders` when there are none.
    @discardableResult
    func send(_ message: MailMessage) async throws -> SMTPProvider {
        // Checked once here so that a bad message is not retried against every provider.
        try message.validate()
        var lastError: any Error = MailSenderError.noProviders
        for provider in providers {
            do {
                try await client.send(message, via: provider)
                return provider
            } catch let error as SMTPError where Self.isRecipientRejection(error) {
                throw error
            } catch let error as SMTPError {
                lastError = error
            }
            try Task.checkCancellation()
        }
        throw lastError
    }

    /// Whether `error` says a recipient's address is wrong, which no other provider would change.
    static func isRecipientRejection(_ error: SMTPError) -> Bool {
        guard case .permanentFailure(.recipient, let reply) = error, [550, 551, 553].contains(reply.code) else {
            return false
        }
        guard let status = reply.enhancedStatus else { return true }
        return status.hasPrefix("5.1.")
    }
}

/// Why `MailSender` could not even try to send.
enum MailSenderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No SMTP provider is configured.
    case noProviders

    /// Explains the problem.
    var description: String {
        switch self {
        case .noProviders: "no SMTP provider is configured (APUS_SMTP_URLS is empty)"
        }
    }
}
