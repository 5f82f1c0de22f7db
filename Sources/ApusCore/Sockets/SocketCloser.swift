import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Synchronization

/// Sends a socket's close once it starts closing, from a task made then: an open socket keeps
/// no task waiting to close it. A client that neither answers the close nor sends anything is
/// cut off after ``closeTimeout``, so the reader, which only the client's answer would end,
/// never waits longer.
final class SocketCloser: Sendable {
    /// How long a client has to answer a close (hummingbird-websocket's own handshake wait too).
    static let closeTimeout = Duration.seconds(5)

    private let outbound: WebSocketOutboundWriter
    private let channel: any Channel
    private let sending = Mutex<Task<Void, Never>?>(nil)

    init(outbound: WebSocketOutboundWriter, channel: any Channel) {
        self.outbound = outbound
        self.channel = channel
    }

    /// Sends the close frame of `closing` (after the frames already written).
    func send(_ closing: Socket.Closing) {
        let task = Task { [outbound, channel] in
            // Fails only when the connection is gone already, which is what a close is for.
            try? await outbound.close(WebSocketErrorCode(codeNumber: Int(closing.code)), reason: closing.reason)
            channel.eventLoop.scheduleTask(in: .seconds(Self.closeTimeout.components.seconds)) {
                channel.close(promise: nil)
            }
        }
        sending.withLock { $0 = task }
    }

    /// Returns once the close asked for, if any, has been handed to the connection.
    func sent() async {
        await sending.withLock { $0 }?.value
    }
}
