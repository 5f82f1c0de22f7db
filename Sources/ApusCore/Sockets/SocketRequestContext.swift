public import Hummingbird
public import HummingbirdWebSocket

/// The context of a WebSocket upgrade request, through the socket router's middleware.
public struct SocketRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The caller a token in `Sec-WebSocket-Protocol` named, if one did.
    public var principal: Principal?
    /// Whether a token was offered in `Sec-WebSocket-Protocol` and is not valid.
    public var offeredBadToken = false

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
    }
}
