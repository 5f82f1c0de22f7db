import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Hands messages to SMTP servers, one connection per message.
///
/// A send connects, reads the greeting, says EHLO, upgrades to TLS with STARTTLS when the server
/// offers it (or speaks TLS from the start for `smtps://`), authenticates when the provider has
/// credentials, and transfers the message. Errors are `SMTPError`, or `MailMessageError` for a
/// message that cannot be rendered, which is found before any connection is made.
struct SMTPClient: Sendable {
    /// The event loops connections run on.
    var eventLoopGroup: any EventLoopGroup
    /// The name this host gives in EHLO: its domain name, or an address literal such as
    /// `[192.0.2.1]`. Some servers refuse names that do not resolve.
    var hostname: String
    /// How long to wait for the TCP connection (name resolution included).
    var connectTimeout: Duration
    /// How long the whole exchange may take, from connecting until the server accepts the message.
    var timeout: Duration
    /// How the server's certificate is checked. `.fullVerification` outside tests.
    var certificateVerification: CertificateVerification
    /// Whether credentials may be sent over a connection that is not encrypted, for relays on a
    /// trusted network that offer no TLS. Off by default so a missing or stripped STARTTLS
    /// never exposes a password.
    var allowsCredentialsWithoutTLS: Bool
    /// Certificate authorities trusted besides the system's, for relays with a private CA.
    var additionalTrustRoots: [NIOSSLCertificate]

    /// Creates a client.
    init(
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        hostname: String = "localhost",
        connectTimeout: Duration = .seconds(10),
        timeout: Duration = .seconds(60),
        certificateVerification: CertificateVerification = .fullVerification,
        allowsCredentialsWithoutTLS: Bool = false,
        additionalTrustRoots: [NIOSSLCertificate] = []
    ) {
        self.eventLoopGroup = eventLoopGroup
        self.hostname = hostname
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.certificateVerification = certificateVerification
        self.allowsCredentialsWithoutTLS = allowsCredentialsWithoutTLS
        self.additionalTrustRoots = additionalTrustRoots
    }

    /// Sends `message` through `provider`, returning once the server has accepted it.
    ///
    /// QUIT after acceptance is best effort: once the server said 250 to the message it is
    /// delivered, and a failure to say goodbye must not make a caller send it again.
    func send(_ message: MailMessage, via provider: SMTPProvider) async throws {
        let content = try message.rendered()
        let envelope = try message.envelope()
        let tlsContext = try makeTLSContext()
        let acceptance = Acceptance()
        let timeout = timeout

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await self.converse(
                    provider: provider,
                    sender: envelope.sender,
                    recipients: envelope.recipients,
                    content: content,
                    tlsContext: tlsContext,
                    acceptance: acceptance
                )
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                // Past acceptance only the QUIT is still running; its end does not matter.
                if !acceptance.isAccepted { throw SMTPError.timedOut(after: timeout) }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Connects and runs the conversation; cancelling the task closes the connection, which
    /// ends any read or write in progress.
    private func converse(
        provider: SMTPProvider,
        sender: String,
        recipients: [String],
        content: String,
        tlsContext: NIOSSLContext,
        acceptance: Acceptance
    ) async throws(SMTPError) {
        let connection = try await SMTPConnection.connect(
            to: provider,
            on: eventLoopGroup,
            connectTimeout: connectTimeout,
            tlsContext: provider.implicitTLS ? tlsContext : nil
        )
        let channel = connection.channel
        let outcome: Result<Void, SMTPError> = await withTaskCancellationHandler {
            do throws(SMTPError) {
                try await self.deliver(
                    on: connection,
                    provider: provider,
                    sender: sender,
                    recipients: recipients,
                    content: content,
                    tlsContext: tlsContext
                )
            } catch {
                return .failure(error)
            }
            acceptance.markAccepted()
            _ = try? await connection.command("QUIT", during: .quit)
            return .success(())
        } onCancel: {
            channel.close(promise: nil)
        }
        await connection.close()
        try outcome.get()
    }

    private func makeTLSContext() throws(SMTPError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = certificateVerification
        if !additionalTrustRoots.isEmpty { configuration.additionalTrustRoots = [.certificates(additionalTrustRoots)] }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .tlsFailed(reason: "could not set up TLS: \(error)")
        }
    }
}

/// Whether the server has accepted the message, shared between the conversation and its timer.
private final class Acceptance: Sendable {
    private let accepted = Mutex(false)

    /// Whether `markAccepted()` has been called.
    var isAccepted: Bool { accepted.withLock { $0 } }

    /// Records that the server answered 250 to the message.
    func markAccepted() {
        accepted.withLock { $0 = true }
    }
}
