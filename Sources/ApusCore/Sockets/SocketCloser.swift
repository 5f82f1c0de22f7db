import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

/// Sends a socket's close once it starts closing, from a task made then: an open socket keeps
/// no task waiting to close it. The connection is cut ``closeTimeout`` after the close is asked
/// for, whether or not the close frame could be written (a client that stopped reading holds
/// it up) or was answered, so the reader, which only the client's answer would end otherwise,
/// never waits longer.
struct SocketCloser: Sendable {
    /// How long a client has to take and answer a close (hummingbird-websocket's handshake wait too).
    static let closeTimeout = Duration.seconds(5)

    let outbound: WebSocketOutboundWriter
    let channel: any Channel

    /// Sends the close frame of `closing` (after the frames already written).
    func send(_ closing: Socket.Closing) {
        let channel = channel
        channel.eventLoop.scheduleTask(in: .seconds(Self.closeTimeout.components.seconds)) {
            channel.close(promise: nil)
        }
        Task { [outbound] in
            // Fails only when the connection is gone already, which is what a close is for.
            try? await outbound.close(closing)
        }
    }
}

extension WebSocketOutboundWriter {
    /// Sends the close frame `closing` asks for.
    func close(_ closing: Socket.Closing) async throws {
        try await close(WebSocketErrorCode(codeNumber: Int(closing.code)), reason: closing.reason)
    }
}
