public import Hummingbird
public import HummingbirdWebSocket
import NIOCore

/// The context of a WebSocket upgrade request, through the socket router's middleware.
public struct SocketRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The caller a token in `Sec-WebSocket-Protocol` named, if one did.
    public var principal: Principal?
    /// Whether a token was offered in `Sec-WebSocket-Protocol` and is not valid.
    public var offeredBadToken = false
    /// The connection: a socket writes its frames to it, and its keepalive sits on it.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.channel = source.channel
    }
}
