import Foundation
public import Logging
public import NIOCore
import NIOWebSocket
import Synchronization

/// One open WebSocket, as a module's handler sees it: who is calling, and a way to send frames.
/// Sending never waits for the client: a frame goes straight to the connection's event loop, and
/// a client that leaves `APUS_SOCKET_QUEUE` frames unwritten is closed with 1008, so a fan-out to
/// many sockets is never held up by one, and a slow one cannot grow the server's memory.
public final class Socket: Sendable {
    /// Close codes with a meaning across Apus's sockets (4000–4999 are the application's).
    public enum CloseCode {
        /// The node is stopping; reconnect (to another node).
        public static let goingAway: UInt16 = 1001
        /// The client broke a rule: it read too slowly, or sent what the route does not take.
        public static let policyViolation: UInt16 = 1008
        /// A message past `APUS_SOCKET_MAX_MESSAGE_BYTES`.
        public static let messageTooLarge: UInt16 = 1009
        /// No valid credentials (missing, wrong, expired, or not sent in time).
        public static let unauthorized: UInt16 = 4401
        /// The credentials were revoked (logout, a disabled or deleted user) or do not allow this.
        public static let forbidden: UInt16 = 4403
        /// The user holds `APUS_SOCKETS_PER_USER` sockets on this node already.
        public static let tooMany: UInt16 = 4429
    }

    /// Why and how a socket is closing, once it is.
    package struct Closing: Sendable, Equatable {
        package var code: UInt16
        package var reason: String
    }

    private struct State {
        var principal: Principal?
        var closing: Closing?
        /// The handler has ended: nothing more is sent.
        var finished = false
        /// What sends the close once the socket is closing (``whenClosing(_:)``).
        var onClosing: (@Sendable (Closing) -> Void)?
    }

    /// This node's number for the socket (log lines, the registry).
    public let id: Int
    /// The route's path.
    public let route: String
    /// Carries the socket's id and, once known, the user's. Made when asked for: metadata kept
    /// on each socket would cost a dictionary of its own per socket, for lines rarely written.
    public var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "socket"] = "\(id)"
        if let principal { logger[metadataKey: "user_id"] = .string(principal.userID) }
        return logger
    }
    private let baseLogger: Logger
    /// The request that opened the socket.
    public let upgrade: SocketUpgrade
    private let state: Mutex<State>
    /// The connection frames are written to, in the order sent.
    private let channel: any Channel
    /// Frames handed to the connection and not yet written to the network.
    private let unwritten = Atomic<Int>(0)
    private let queueLimit: Int
    private let sockets: OpenSockets

    package init(
        id: Int, route: String, upgrade: SocketUpgrade, principal: Principal?, channel: any Channel, queueLimit: Int, logger: Logger, sockets: OpenSockets
    ) {
        self.id = id
        self.route = route
        self.upgrade = upgrade
        self.baseLogger = logger
        self.state = Mutex(State(principal: principal))
        self.channel = channel
        self.queueLimit = queueLimit
        self.sockets = sockets
    }

    /// The authenticated caller; `nil` only before a ``SocketRoute/Authentication/byHandler``
    /// route has called ``authenticate(token:)``.
    public var principal: Principal? { state.withLock { $0.principal } }

    /// Why the socket is closing, once it is.
    package var closing: Closing? { state.withLock { $0.closing } }

    /// Sends a text frame; `false` when the socket is closing. A client that leaves
    /// `APUS_SOCKET_QUEUE` frames unwritten closes the socket with 1008 (it reads too slowly).
    @discardableResult
    public func send(_ text: String) -> Bool {
        send(text: ByteBuffer(string: text))
    }

    /// Sends a text frame already in bytes: a fan-out renders a message once for all its sockets.
    @discardableResult
    public func send(text bytes: ByteBuffer) -> Bool {
        guard state.withLock({ $0.closing == nil && !$0.finished }) else { return false }
        guard unwritten.add(1, ordering: .relaxed).newValue <= queueLimit else {
            unwritten.subtract(1, ordering: .relaxed)
            sockets.countSlowConsumer()
            close(CloseCode.policyViolation, reason: "the client does not read its messages")
            return false
        }
        // Straight to the connection, not through a writer task: a task woken for every frame
        // of a fan-out cost more than the write itself.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in self.unwritten.subtract(1, ordering: .relaxed) }
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: bytes), promise: written)
        return true
    }

    /// Queues `value` as a JSON text frame in the API's conventions (snake_case, RFC 3339 times).
    @discardableResult
    public func send(json value: some Encodable) -> Bool {
        guard let data = try? APIJSON.encoder.encode(value) else { return false }
        return send(text: ByteBuffer(bytes: data))
    }

    /// Closes the socket with `code`, after the frames already sent. The first close wins.
    public func close(_ code: UInt16, reason: String) {
        let closing = Closing(code: code, reason: reason)
        let (first, action) = state.withLock { state -> (Bool, (@Sendable (Closing) -> Void)?) in
            guard state.closing == nil else { return (false, nil) }
            state.closing = closing
            defer { state.onClosing = nil }
            return (true, state.onClosing)
        }
        guard first else { return }
        logger.debug("socket closing", metadata: ["code": "\(code)", "reason": "\(reason)"])
        action?(closing)
    }

    /// Runs `action` once the socket is closing (at once if it is): the serving code sends the
    /// close there, so no task waits for it beside the reader.
    package func whenClosing(_ action: @escaping @Sendable (Closing) -> Void) {
        let closing = state.withLock { state -> Closing? in
            if state.closing == nil { state.onClosing = action }
            return state.closing
        }
        if let closing { action(closing) }
    }

    /// How long a socket refused before it said anything waits before its close goes out:
    /// some clients (swift-websocket's, 1.6.2) drop a frame that arrives in the same read as the
    /// 101 response, and would see no close code at all.
    package static let refusalDelay = Duration.milliseconds(50)

    /// Closes a socket refused before it said anything (a bad request in its URL, a missing
    /// permission), after ``refusalDelay``, so every client sees the code.
    public func refuse(_ code: UInt16, reason: String) async {
        try? await Task.sleep(for: Self.refusalDelay)
        close(code, reason: reason)
    }

    /// Proves who is calling with `token` (an access token or an API key) for a route that
    /// authenticates in its own protocol. `nil` when the token is not valid; the handler decides
    /// what to answer. A user past `APUS_SOCKETS_PER_USER` closes the socket with 4429.
    public func authenticate(token: String) async -> Principal? {
        guard let principal = await sockets.authenticate(token) else { return nil }
        guard adopt(principal) else { return nil }
        return principal
    }

    /// Takes `principal` as the caller, if the user may hold one more socket.
    package func adopt(_ principal: Principal) -> Bool {
        guard sockets.admit(self, as: principal) else {
            close(CloseCode.tooMany, reason: "too many sockets for this user")
            return false
        }
        state.withLock { $0.principal = principal }
        return true
    }

    /// The handler's end: no more frames.
    package func finish() {
        state.withLock { state in
            state.finished = true
            state.onClosing = nil
        }
    }
}

/// A message a client sent on a socket.
public enum SocketMessage: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
}
