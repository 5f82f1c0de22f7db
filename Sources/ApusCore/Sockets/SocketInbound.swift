import HummingbirdWebSocket

/// The messages a client sends on a socket, whole (fragments joined), each at most
/// `APUS_SOCKET_MAX_MESSAGE_BYTES`. Iterate it once, in the handler's task. A larger message
/// throws, and a handler that lets the error out closes the socket with 1009.
public struct SocketInbound: AsyncSequence {
    public typealias Element = SocketMessage
    private let base: WebSocketInboundMessageStream.AsyncIterator

    init(_ base: WebSocketInboundMessageStream.AsyncIterator) {
        self.base = base
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: WebSocketInboundMessageStream.AsyncIterator

        public mutating func next() async throws -> SocketMessage? {
            switch try await base.next() {
            case .text(let text): .text(text)
            case .binary(let buffer): .binary(Array(buffer.readableBytesView))
            case nil: nil
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base) }
}
