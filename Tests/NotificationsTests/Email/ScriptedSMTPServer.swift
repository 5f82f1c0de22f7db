import NIOCore
import NIOPosix

/// A TCP server on the loopback interface that sends every client the same bytes as soon as it
/// connects, then stays silent or hangs up: a server whose replies a test decides.
struct ScriptedSMTPServer: Sendable {
    private let channel: any Channel

    /// The port it listens on.
    var port: Int { channel.localAddress?.port ?? 0 }

    /// Starts a server that sends `script` and then, if `hangUp`, closes the connection.
    static func start(sending script: String, hangUp: Bool = false) async throws -> ScriptedSMTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Script(text: script, hangUp: hangUp))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return ScriptedSMTPServer(channel: channel)
    }

    /// Stops listening.
    func stop() async {
        try? await channel.close()
    }
}

private final class Script: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let text: String
    let hangUp: Bool

    init(text: String, hangUp: Bool) {
        self.text = text
        self.hangUp = hangUp
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
        if hangUp { context.close(promise: nil) }
    }
}
