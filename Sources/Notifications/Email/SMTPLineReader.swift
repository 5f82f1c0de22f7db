import NIOCore
import NIOTLS

/// Splits the bytes a server sends into lines, without their CRLF (a bare LF is accepted too).
///
/// A line longer than `maximumLineLength` fails the channel rather than growing the buffer
/// without bound: RFC 5321 caps reply lines at 512 bytes, and real EHLO replies stay well
/// below the default.
struct SMTPLineDecoder: ByteToMessageDecoder {
    /// Lines are delivered as text.
    typealias InboundOut = String

    /// The longest line accepted, in bytes.
    let maximumLineLength: Int

    /// Creates a decoder that accepts lines up to `maximumLineLength` bytes.
    init(maximumLineLength: Int = 8192) {
        self.maximumLineLength = maximumLineLength
    }

    /// Emits one line when a full one is buffered.
    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maximumLineLength { throw SMTPLineTooLong(limit: maximumLineLength) }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        guard length <= maximumLineLength else { throw SMTPLineTooLong(limit: maximumLineLength) }
        let endsInCR = length > 0 && buffer.getInteger(at: newline - 1, as: UInt8.self) == UInt8(ascii: "\r")
        let line = buffer.getString(at: buffer.readerIndex, length: endsInCR ? length - 1 : length) ?? ""
        buffer.moveReaderIndex(forwardBy: length + 1)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    /// Emits the complete lines left when the connection closes; a partial last line is dropped.
    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// The server sent a line longer than the decoder accepts.
struct SMTPLineTooLong: Error, Sendable, CustomStringConvertible {
    /// The limit that was exceeded, in bytes.
    var limit: Int

    /// Explains the problem.
    var description: String { "reply line longer than \(limit) bytes" }
}

/// What the connection reports to the task driving the conversation.
enum SMTPInbound: Sendable, Equatable {
    /// A line from the server, without its line break.
    case line(String)
    /// The TLS handshake finished; what follows is encrypted.
    case tlsEstablished
}

/// Hands each decoded line to the task that drives the conversation, and tells it when TLS is
/// up and when the connection ends or fails.
final class SMTPLineForwarder: ChannelInboundHandler {
    /// Lines from `SMTPLineDecoder`.
    typealias InboundIn = String

    private let continuation: AsyncThrowingStream<SMTPInbound, any Error>.Continuation

    /// Creates a forwarder that yields into `continuation`.
    init(continuation: AsyncThrowingStream<SMTPInbound, any Error>.Continuation) {
        self.continuation = continuation
    }

    /// Passes a line on; a server that floods lines faster than they are read is cut off.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        forward(.line(unwrapInboundIn(data)), context: context)
    }

    /// Reports a finished TLS handshake, so STARTTLS can tell a failed handshake from a
    /// failed command.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            forward(.tlsEstablished, context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Ends the stream when the connection closes.
    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    /// Ends the stream with the error (a TLS failure, a reset, an overlong line) and closes.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }

    private func forward(_ inbound: SMTPInbound, context: ChannelHandlerContext) {
        if case .dropped = continuation.yield(inbound) {
            continuation.finish(throwing: SMTPLineFlood())
            context.close(promise: nil)
        }
    }
}

/// The server sent more lines than the conversation could have asked for.
struct SMTPLineFlood: Error, Sendable, CustomStringConvertible {
    /// Explains the problem.
    var description: String { "server sent more lines than expected" }
}
