/// A WebSocket route a module serves: the platform upgrades the connection, proves who is
/// calling, enforces the limits of ``SocketSettings``, closes the socket when its session or
/// user is revoked on any node, and hands the module a ``Socket`` to talk on.
public struct SocketRoute: Sendable {
    /// How a socket proves who is calling. A browser cannot set headers on a WebSocket, so the
    /// token travels in what it can send.
    public enum Authentication: Sendable {
        /// The platform authenticates before the handler runs: a token offered as the
        /// subprotocol `bearer.<token>` in `Sec-WebSocket-Protocol`, else a first text frame `{"type":"auth","token":…}` within
        /// `APUS_SOCKET_AUTH_TIMEOUT`, answered `{"type":"ack","user_id":…}` (with the frame's
        /// `ref`); no such frame in time, or a bad token either way, closes the socket with 4401.
        case required
        /// The handler authenticates with its protocol's own handshake (Socket.IO's `auth`
        /// payload) through ``Socket/authenticate(token:)``; a token in the subprotocol is
        /// still checked first.
        case byHandler
    }

    /// The path, as Hummingbird routes spell it (`/v1/chat/socket`).
    public var path: String
    public var authentication: Authentication
    /// Runs for each socket until it returns or the socket closes; the messages the client sends
    /// come through `inbound`.
    public var handler: @Sendable (SocketInbound, Socket) async throws -> Void

    public init(
        _ path: String, authentication: Authentication = .required,
        handler: @escaping @Sendable (SocketInbound, Socket) async throws -> Void
    ) {
        self.path = path
        self.authentication = authentication
        self.handler = handler
    }
}
