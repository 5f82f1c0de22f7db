import NIOCore
import NIOPosix
import NIOSSL

/// One TCP connection to an SMTP server: writes commands, reads whole replies, and switches to
/// TLS in the middle of the stream for STARTTLS.
///
/// Inbound bytes go through `SMTPLineDecoder` and `SMTPLineForwarder` into a stream that the
/// conversation reads from. STARTTLS puts `NIOSSLClientHandler` at the front of the same
/// pipeline, which is why this is not an `NIOAsyncChannel`: its pipeline is fixed once it wraps
/// the channel. Used by one task at a time, so it is not `Sendable`.
final class SMTPConnection {
    /// The most lines one reply may have; more means a broken or hostile server.
    static let maximumReplyLines = 100

    /// The underlying channel.
    let channel: any Channel
    /// Whether the connection is encrypted, by implicit TLS or after STARTTLS.
    private(set) var isEncrypted: Bool
    private var inbound: AsyncThrowingStream<SMTPInbound, any Error>.AsyncIterator

    private init(channel: any Channel, inbound: AsyncThrowingStream<SMTPInbound, any Error>, isEncrypted: Bool) {
        self.channel = channel
        self.inbound = inbound.makeAsyncIterator()
        self.isEncrypted = isEncrypted
    }

    /// Opens a connection to `provider`, speaking TLS from the start when `tlsContext` is given.
    static func connect(
        to provider: SMTPProvider,
        on group: any EventLoopGroup,
        connectTimeout: Duration,
        tlsContext: NIOSSLContext?
    ) async throws(SMTPError) -> SMTPConnection {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: SMTPInbound.self,
            throwing: (any Error).self,
            bufferingPolicy: .bufferingOldest(4 * maximumReplyLines)
        )
        let serverHostname = Self.sniHostname(provider.host)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if let tlsContext {
                        try operations.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname))
                    }
                    try operations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                    try operations.addHandler(SMTPLineForwarder(continuation: continuation))
                }
            }
        do {
            let channel = try await bootstrap.connect(host: provider.host, port: provider.port).get()
            return SMTPConnection(channel: channel, inbound: stream, isEncrypted: tlsContext != nil)
        } catch {
            continuation.finish()
            throw .connectionFailed(host: provider.host, port: provider.port, reason: String(describing: error))
        }
    }

    /// Reads one complete reply, gathering the lines of a multi-line reply.
    func readReply(during step: SMTPError.Step) async throws(SMTPError) -> SMTPReply {
        var code: Int?
        var texts: [String] = []
        while true {
            // With implicit TLS the handshake completes before the greeting; nothing to do.
            guard case .line(let line) = try await next(during: step) else { continue }
            guard let parsed = SMTPReplyLine(line), code == nil || code == parsed.code else {
                throw .malformedReply(during: step, line: line)
            }
            code = parsed.code
            texts.append(parsed.text)
            if parsed.isLast { return SMTPReply(code: parsed.code, lines: texts) }
            if texts.count >= Self.maximumReplyLines {
                throw .malformedReply(during: step, line: "more than \(Self.maximumReplyLines) reply lines")
            }
        }
    }

    /// The next event from the connection; the connection's own failure if it has one.
    private func next(during step: SMTPError.Step) async throws(SMTPError) -> SMTPInbound {
        let next: SMTPInbound?
        do {
            next = try await inbound.next()
        } catch {
            throw Self.ioError(error, during: step)
        }
        guard let next else { throw .connectionLost(during: step, reason: "the server closed the connection") }
        return next
    }

    /// Writes `text` as it is; commands and message content must bring their own CRLF.
    func write(_ text: String, during step: SMTPError.Step) async throws(SMTPError) {
        do {
            try await channel.writeAndFlush(ByteBuffer(string: text))
        } catch {
            throw Self.ioError(error, during: step)
        }
    }

    /// Sends one command line and reads the reply.
    func command(_ line: String, during step: SMTPError.Step) async throws(SMTPError) -> SMTPReply {
        try await write(line + "\r\n", during: step)
        return try await readReply(during: step)
    }

    /// Puts TLS under the conversation after the server accepted STARTTLS, and waits for the
    /// handshake so that a failure is reported as TLS trouble rather than as a lost command.
    func startTLS(context: NIOSSLContext, serverHost: String) async throws(SMTPError) {
        let channel = channel
        let serverHostname = Self.sniHostname(serverHost)
        do {
            try await channel.eventLoop.submit {
                let handler = try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
                // First in the pipeline: nearest the socket, so every byte in either direction
                // goes through TLS and the line decoder sees plain text.
                try channel.pipeline.syncOperations.addHandler(handler, position: .first)
            }.get()
        } catch {
            throw .tlsFailed(reason: String(describing: error))
        }
        switch try await next(during: .startTLS) {
        case .tlsEstablished:
            isEncrypted = true
        case .line(let line):
            // The server says nothing between its 220 and the handshake; a line here came in
            // plain text and may have been injected to pass for an encrypted reply.
            throw .malformedReply(during: .startTLS, line: line)
        }
    }

    /// Closes the connection, ignoring errors: there is nothing left to say to the server.
    func close() async {
        try? await channel.close()
    }

    /// The name to send in SNI and check the certificate against; `nil` for an IP address,
    /// which SNI cannot carry and which NIOSSL then checks against the peer's address.
    private static func sniHostname(_ host: String) -> String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }

    /// Maps an I/O failure to the error the conversation reports.
    private static func ioError(_ error: any Error, during step: SMTPError.Step) -> SMTPError {
        switch error {
        case let error as SMTPError:
            error
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            .tlsFailed(reason: String(describing: error))
        case let error as SMTPLineTooLong:
            .malformedReply(during: step, line: error.description)
        default:
            .connectionLost(during: step, reason: String(describing: error))
        }
    }
}
