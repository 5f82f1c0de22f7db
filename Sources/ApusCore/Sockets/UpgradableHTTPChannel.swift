import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// HTTP/1.1 with the WebSocket upgrade, which also answers a request the HTTP parser refuses.
/// Before the upgrade decision hummingbird-websocket's pipeline has no error handling of its
/// own: a malformed request line (`GET /a b HTTP/1.1`) left the connection open with no answer
/// and no idle timeout, which any client could use to hold connections. A handler at the end
/// of the pipeline answers it 400 and closes it, as the plain HTTP/1.1 server does.
struct UpgradableHTTPChannel<Inner: ServerChildChannel>: ServerChildChannel {
    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Inner.Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(MalformedRequestAnswer())
            return value
        }
    }

    func handle(value: Inner.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Answers an HTTP parse error with a 400 problem and closes; passes everything else on untouched.
final class MalformedRequestAnswer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundOut = HTTPServerResponsePart

    private var answered = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, !answered else {
            context.fireErrorCaught(error)
            return
        }
        answered = true
        let body = ByteBuffer(string: #"{"detail":"The request could not be parsed as HTTP/1.1.","status":400,"title":"Bad Request","type":"urn:apus:problem:bad-request"}"#)
        let head = HTTPResponseHead(version: .http1_1, status: .badRequest, headers: [
            "Content-Type": "application/problem+json", "Content-Length": String(body.readableBytes), "Connection": "close",
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
