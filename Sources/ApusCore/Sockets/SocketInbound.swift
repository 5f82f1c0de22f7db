import HummingbirdWebSocket

/// The messages a client sends on a socket, whole (fragments joined), each at most
/// `APUS_SOCKET_MAX_MESSAGE_BYTES`. Iterate it once, in the handler's task. A larger message
/// throws, and a handler that lets the error out closes the socket with 1009.
///
/// It ends when the client closes, and once the socket is closing: a message that arrives after
/// the server's close is not handed on, and the client's answer to the close ends it.
public struct SocketInbound: AsyncSequence {
    public typealias Element = SocketMessage
    private let base: WebSocketInboundMessageStream.AsyncIterator
    private let socket: Socket

    init(_ base: WebSocketInboundMessageStream.AsyncIterator, socket: Socket) {
        self.base = base
        self.socket = socket
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: WebSocketInboundMessageStream.AsyncIterator
        let socket: Socket

        public mutating func next() async throws -> SocketMessage? {
            guard socket.closing == nil else { return nil }
            let message: WebSocketMessage?
            do {
                message = try await base.next()
            } catch where socket.closing != nil {
                return nil  // the connection went while closing: the end, not a failure
            }
            guard socket.closing == nil else { return nil }
            return switch message {
            case .text(let text): .text(text)
            case .binary(let buffer): .binary(Array(buffer.readableBytesView))
            case nil: nil
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base, socket: socket) }
}
