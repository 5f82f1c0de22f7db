import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle

/// Serves the modules' ``SocketRoute``s: the upgrade router, the answer to a plain `GET` of a
/// socket path, and the life of each socket (authentication, closing, limits, shutdown).
struct SocketServing: Sendable {
    let routes: [SocketRoute]
    let sockets: OpenSockets

    /// The router the server asks whether a request upgrades: only socket paths do. A bad token
    /// in the subprotocol still upgrades and is closed with 4401 at once: a refused upgrade is a
    /// bare 400 that a browser's script never sees, while a close code it does.
    func upgradeRouter() -> Router<SocketRequestContext> {
        let router = Router(context: SocketRequestContext.self)
        router.add(middleware: SubprotocolAuthentication(sockets: sockets))
        for route in routes {
            router.ws(RouterPath(route.path)) { request, _ in
                var headers = HTTPFields()
                if let chosen = SocketProtocols(request.headers).chosen { headers[.secWebSocketProtocol] = chosen }
                return .upgrade(headers)
            } onUpgrade: { inbound, outbound, context in
                let request = context.request
                let upgrade = SocketUpgrade(path: request.uri.path, query: request.uri.query ?? "", headers: request.headers)
                try await serve(route, upgrade: upgrade, inbound: inbound, outbound: outbound, context: context.requestContext, logger: context.logger)
            }
        }
        return router
    }

    /// A `GET` of a socket path that did not ask to upgrade: 401 without credentials on a route
    /// that needs them, else 426 naming the upgrade it needs.
    func addPlainAnswers(to router: SegmentRouter<ApusRequestContext>) {
        for route in routes {
            router.get(RouterPath(route.path)) { _, context -> Response in
                if route.authentication == .required, context.principal == nil {
                    throw Problem.unauthorized("Authentication is required.")
                }
                throw Problem(
                    .upgradeRequired, detail: "\(route.path) is a WebSocket endpoint: connect with 'Upgrade: websocket'.",
                    headers: [.upgrade: "websocket", .connection: "Upgrade"]
                )
            }
        }
    }

    /// One socket's life: authenticated, then the route's handler reading in this task until the
    /// client closes or answers the server's close (frames already sent go out before it).
    private func serve(
        _ route: SocketRoute, upgrade: SocketUpgrade, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, context: SocketRequestContext, logger: Logger
    ) async throws {
        let socket = sockets.makeSocket(route: route.path, upgrade: upgrade, channel: context.channel, logger: logger)
        defer { sockets.remove(socket) }
        if context.offeredBadToken {
            socket.close(Socket.CloseCode.unauthorized, reason: "the credentials offered with the upgrade are invalid, expired or revoked")
        } else if let principal = context.principal {
            _ = socket.adopt(principal)
        }
        if let closing = socket.closing {
            // Refused before it began: send the close, read nothing.
            try await Task.sleep(for: Socket.refusalDelay)
            try await outbound.close(closing)
            return
        }
        let channel = context.channel
        let interval = TimeAmount.milliseconds(Int64(sockets.settings.pingInterval * 1000))
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(SocketKeepalive(interval: interval), position: .first)
        }.get()
        // A stopping node closes its sockets with 1001 so clients reconnect elsewhere: on the
        // graceful shutdown signal, or when the server cancels the connection's task.
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await run(route, socket, inbound: inbound, outbound: outbound, channel: channel)
            } onCancel: {
                socket.close(Socket.CloseCode.goingAway, reason: "the node is stopping")
            }
        } onGracefulShutdown: {
            socket.close(Socket.CloseCode.goingAway, reason: "the node is stopping")
        }
    }

    /// The handler reads in the connection's own task; frames go straight to the connection
    /// (``Socket/send(text:)``), and a close asked for while it runs is sent from a short task
    /// made then (``SocketCloser``), so an open socket holds one task, not a reader beside a
    /// task waiting to close it.
    private func run(
        _ route: SocketRoute, _ socket: Socket, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel
    ) async throws {
        let settings = sockets.settings
        let closer = SocketCloser(outbound: outbound, channel: channel)
        socket.whenClosing { closer.send($0) }
        var failure: (any Error)?
        do {
            var messages = inbound.messages(maxSize: settings.maxMessageBytes).makeAsyncIterator()
            var authenticated = true
            if route.authentication == .required, socket.principal == nil {
                authenticated = try await Self.authenticateFirstFrame(socket, &messages, timeout: settings.authTimeout)
            }
            if authenticated, socket.closing == nil {
                try await route.handler(SocketInbound(messages, socket: socket), socket)
            }
        } catch is CancellationError {
        } catch {
            failure = error
        }
        socket.finish()
        // The close asked for goes out before the one hummingbird-websocket sends when this
        // returns, even if the closer's task has not run yet (the second of two is not sent).
        if let closing = socket.closing {
            try? await outbound.close(closing)
        }
        if let failure { throw failure }
    }

    /// Waits for the `auth` frame; closes the socket with 4401 when none comes in time or its
    /// token is not valid.
    private static func authenticateFirstFrame(
        _ socket: Socket, _ messages: inout WebSocketInboundMessageStream.AsyncIterator, timeout: Double
    ) async throws -> Bool {
        let timer = Task {
            try await Task.sleep(for: .seconds(timeout))
            socket.close(Socket.CloseCode.unauthorized, reason: "no auth frame within \(timeout) s")
        }
        defer { timer.cancel() }
        let first: WebSocketMessage?
        do { first = try await messages.next() } catch is CancellationError { return false }
        guard case .text(let text)? = first, let frame = AuthFrame.decode(text) else {
            socket.close(Socket.CloseCode.unauthorized, reason: #"the first frame must be {"type":"auth","token":"…"}"#)
            return false
        }
        guard let principal = await socket.authenticate(token: frame.token) else {
            socket.close(Socket.CloseCode.unauthorized, reason: "the token is invalid, expired or revoked")
            return false
        }
        timer.cancel()
        socket.send(json: AuthFrame.Ack(ref: frame.ref, userId: principal.userID))
        return true
    }
}

/// `{"type":"auth","token":…,"ref":…}`, the first frame of a socket that did not offer its token
/// as a subprotocol.
struct AuthFrame: Decodable {
    var type: String
    var token: String
    var ref: JSONValue?

    static func decode(_ text: String) -> AuthFrame? {
        guard let frame = try? APIJSON.decoder.decode(AuthFrame.self, from: Data(text.utf8)), frame.type == "auth" else { return nil }
        return frame
    }

    /// The answer to an accepted `auth` frame.
    struct Ack: Encodable {
        var type = "ack"
        var ref: JSONValue?
        var userId: String
    }
}

/// Gives an upgrade request the caller its credentials name, or marks them bad: a token in the
/// subprotocol (what a browser can send), else an `Authorization` header (what a server-side
/// client sends: Grafana, logcli), `Bearer` or `Basic` with an API key as the password, as on
/// HTTP routes.
struct SubprotocolAuthentication: RouterMiddleware {
    let sockets: OpenSockets

    func handle(_ request: Request, context: SocketRequestContext, next: (Request, SocketRequestContext) async throws -> Response) async throws -> Response {
        let offered: String?
        if let token = SocketProtocols(request.headers).token {
            offered = token
        } else if let header = request.headers[.authorization] {
            offered = Self.token(header) ?? ""
        } else {
            offered = nil
        }
        guard let token = offered else { return try await next(request, context) }
        var context = context
        if let principal = await sockets.authenticate(token) {
            context.principal = principal
        } else {
            context.offeredBadToken = true
        }
        return try await next(request, context)
    }
}

extension SubprotocolAuthentication {
    /// The token an `Authorization` header carries, or `nil` when it is neither `Bearer` nor
    /// `Basic` with an API key.
    static func token(_ header: String) -> String? {
        let lowered = header.lowercased()
        if lowered.hasPrefix("bearer ") { return String(header.dropFirst(7).drop { $0 == " " }) }
        if lowered.hasPrefix("basic "), let key = AuthenticationMiddleware.basicPassword(header.dropFirst(6)), APIKeyStore.isWellFormed(key) { return key }
        return nil
    }
}
