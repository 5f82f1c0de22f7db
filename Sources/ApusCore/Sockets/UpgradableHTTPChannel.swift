import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// HTTP/1.1 with the WebSocket upgrade, which also answers a request the HTTP parser refuses.
/// Before the upgrade decision hummingbird-websocket's pipeline has no error handling of its
/// own: a malformed request line (`GET /a b HTTP/1.1`) left the connection open with no answer
/// and no idle timeout, which any client could use to hold connections. This answers it 400
/// and closes it, as the plain HTTP/1.1 server does.
struct UpgradableHTTPChannel<Inner: ServerChildChannel>: ServerChildChannel {
    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Inner.Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Inner.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
        // Every answered request, upgraded or not, has ended its connection by now; one that
        // is still open was never answered.
        let channel = value.channel
        guard channel.isActive else { return }
        let head = HTTPResponseHead(version: .http1_1, status: .badRequest, headers: ["Content-Length": "0", "Connection": "close"])
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        try? await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        try? await channel.close()
    }
}
