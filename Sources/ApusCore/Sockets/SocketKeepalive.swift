import NIOCore

/// The keepalive of an upgraded socket, as a handler on its connection instead of a task: every
/// `interval` it writes a ping frame straight onto the connection, and closes a peer that sent
/// nothing since the previous ping (its pong, if nothing else, is something). A sleeping task
/// per socket held about a kilobyte and a half of task memory for the socket's whole life; a
/// timer on the event loop holds a few dozen bytes.
final class SocketKeepalive: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// An unmasked ping with no payload (RFC 6455 §5.5.2), as a server sends it.
    static let ping: [UInt8] = [0x89, 0x00]
    /// A close frame with 1001 (going away), sent before the connection is dropped.
    static let close: [UInt8] = [0x88, 0x02, 0x03, 0xE9]

    private let interval: TimeAmount
    private var heard = true
    private var timer: RepeatedTask?

    init(interval: TimeAmount) {
        self.interval = interval
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (keepalive, context) = bound.value
            keepalive.tick(context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        heard = true
        context.fireChannelRead(data)
    }

    private func tick(_ context: ChannelHandlerContext) {
        guard heard else {
            stop()
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: Self.close)), promise: nil)
            context.close(promise: nil)
            return
        }
        heard = false
        // The head of the pipeline sees only whole frames' bytes, each written in one turn of
        // the event loop, so a ping written here never lands inside another frame.
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: Self.ping)), promise: nil)
    }

    private func stop() {
        timer?.cancel()
        timer = nil
    }
}
