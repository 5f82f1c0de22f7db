import ApusCore
import Foundation
import Logging

/// `/socket.io/`: Engine.IO 4 with Socket.IO 5 over the WebSocket transport, for the clients
/// of that ecosystem (python-socketio, socket.io-client). Long-polling is not offered: the
/// handshake lists no upgrades, and clients are set to `transports: ["websocket"]`. The
/// namespace is `/`; the token comes in the connect packet's `auth` (`{"token": …}`) or as the
/// subprotocol. Events are the chat socket's frame types with the same payloads (`subscribe`,
/// `send`, `edit`, `delete`, `react`, `typing`, `read`, `unsubscribe`), answered through the
/// event's acknowledgement; the server emits `message`, `edited`, `deleted`, `reaction`,
/// `typing`, `receipt`, `presence`, `unsubscribed` and `error`.
struct SocketIOEndpoint: Sendable {
    let chat: ChatSocket
    /// Milliseconds between Engine.IO pings, and how long a client may take to answer one.
    let pingInterval = 25_000
    let pingTimeout = 20_000

    var route: SocketRoute {
        SocketRoute("/socket.io", authentication: .byHandler) { inbound, socket in
            try await run(inbound, socket)
        }
    }

    func run(_ inbound: SocketInbound, _ socket: Socket) async throws {
        let peer = ChatPeer(socket: socket, wire: .socketIO)
        let sid = OpaqueID.random(words: 1)
        socket.send(#"0{"sid":"\#(sid)","upgrades":[],"pingInterval":\#(pingInterval),"pingTimeout":\#(pingTimeout),"maxPayload":1000000}"#)
        let pinger = Task { [pingInterval] in
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(pingInterval))
                guard socket.send("2") else { return }
            }
        }
        defer { pinger.cancel() }
        var principal = socket.principal
        var connected = false
        var limiter = chat.limiter()
        do {
            for try await message in inbound {
                guard case .text(let text) = message, let kind = text.first else { continue }
                switch kind {
                case "3", "2":
                    // A pong, or a v3 client's ping.
                    if kind == "2" { socket.send("3") }
                case "1":
                    return
                case "4":
                    let packet = text.dropFirst()
                    switch packet.first {
                    case "0":
                        // CONNECT to "/", with `auth` as its payload.
                        if principal == nil, let token = Self.payload(packet.dropFirst()).flatMap(Self.token) {
                            principal = await socket.authenticate(token: token)
                        }
                        guard principal != nil else {
                            socket.send(#"44{"message":"The token is invalid, expired or revoked."}"#)
                            continue
                        }
                        connected = true
                        socket.send(#"40{"sid":"\#(sid)"}"#)
                    case "1":
                        connected = false
                        await chat.leaveAll(peer)
                    case "2":
                        guard connected, let principal else {
                            socket.send(#"44{"message":"Connect first."}"#)
                            continue
                        }
                        guard let (ackID, frame) = Self.event(packet.dropFirst()) else {
                            peer.fail(.socketIO(nil), Problem.badRequest("An event is a JSON array: a name, then an object."))
                            continue
                        }
                        await chat.serve(frame, principal, peer, .socketIO(ackID), &limiter)
                    default:
                        continue
                    }
                default:
                    continue
                }
            }
        } catch {
            await chat.leaveAll(peer)
            throw error
        }
        await chat.leaveAll(peer)
    }

    /// The JSON after a packet type and its optional namespace (`/,`).
    static func payload(_ text: Substring) -> Substring? {
        var text = text
        if text.first == "/" {
            guard let comma = text.firstIndex(of: ",") else { return nil }
            text = text[text.index(after: comma)...]
        }
        return text.isEmpty ? nil : text
    }

    static func token(_ payload: Substring) -> String? {
        let object = (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any]
        return object?["token"] as? String
    }

    /// An EVENT packet's ack id and the request it carries: `["send", {room, text}]`.
    static func event(_ text: Substring) -> (Int?, ChatSocket.ClientFrame)? {
        guard var rest = payload(text) else { return nil }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        let ackID = digits.isEmpty ? nil : Int(digits)
        rest = rest.dropFirst(digits.count)
        guard let array = (try? JSONSerialization.jsonObject(with: Data(rest.utf8))) as? [Any], let name = array.first as? String else { return nil }
        var object = (array.count > 1 ? array[1] as? [String: Any] : nil) ?? [:]
        object["type"] = name
        guard let data = try? JSONSerialization.data(withJSONObject: object),
            let frame = try? APIJSON.decoder.decode(ChatSocket.ClientFrame.self, from: data)
        else { return nil }
        return (ackID, frame)
    }
}
