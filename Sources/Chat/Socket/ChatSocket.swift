import ApusCore
import ApusKit
import Foundation
import Logging

/// `GET /v1/chat/socket`: JSON text frames, each with a `type`; a client frame's `ref` comes
/// back in its `ack` or `error`. The platform has authenticated the socket before this runs.
/// `perform` is shared with the Socket.IO endpoint, which carries the same requests as events.
struct ChatSocket: Sendable {
    let service: ChatService
    let hub: ChatHub
    let presence: ChatPresence

    /// A request from the client (a frame, or a Socket.IO event's name and payload).
    struct ClientFrame: Decodable, Sendable {
        var type: String
        var ref: JSONValue?
        var room: String?
        var lastSeq: Int64?
        var text: String?
        var replyTo: String?
        var clientId: String?
        var id: String?
        var emoji: String?
        var seq: Int64?
    }

    var route: SocketRoute {
        SocketRoute("/v1/chat/socket") { inbound, socket in
            try await run(inbound, socket)
        }
    }

    func run(_ inbound: SocketInbound, _ socket: Socket) async throws {
        guard let principal = socket.principal else { return }
        let peer = ChatPeer(socket: socket, wire: .native)
        var limiter = limiter()
        do {
            for try await message in inbound {
                await receive(message, principal, peer, &limiter)
            }
        } catch {
            await leaveAll(peer)
            throw error
        }
        await leaveAll(peer)
    }

    /// The per-socket send rate (`APUS_CHAT_SEND_RATE`, a burst of twice as many).
    func limiter() -> TokenBucket {
        let rate = Double(service.settings.sendRate)
        return TokenBucket(capacity: 2 * rate, refillPerSecond: rate, now: service.now().timeIntervalSince1970)
    }

    /// One message of the native wire. Not inlined into the socket's loop: whatever it needs
    /// would otherwise sit in that loop's frame, which lives as long as the socket.
    @inline(never)
    private func receive(_ message: SocketMessage, _ principal: Principal, _ peer: ChatPeer, _ limiter: inout TokenBucket) async {
        guard case .text(let text) = message else {
            peer.fail(.native(nil), Problem(.unsupportedMediaType, detail: "Frames are JSON text."))
            return
        }
        guard let frame = try? APIJSON.decoder.decode(ClientFrame.self, from: Data(text.utf8)) else {
            peer.fail(.native(nil), Problem.badRequest("A frame is a JSON object with a type."))
            return
        }
        await serve(frame, principal, peer, .native(frame.ref), &limiter)
    }

    /// Runs one request within the rate, answering it as the client asked. Not inlined either,
    /// for the same reason (the Socket.IO endpoint's loop calls it too).
    @inline(never)
    func serve(_ frame: ClientFrame, _ principal: Principal, _ peer: ChatPeer, _ reply: ChatPeer.Reply, _ limiter: inout TokenBucket) async {
        if frame.type != "ping", case .refused = limiter.take(now: service.now().timeIntervalSince1970) {
            peer.fail(reply, Problem(.tooManyRequests, detail: "More than \(service.settings.sendRate) frames a second; slow down."))
            return
        }
        // In a child task: the memory a deep request needs (a send's transaction) goes with it,
        // instead of staying with the socket's own task for as long as the socket is open (a
        // task keeps the stack it grew until it ends).
        await withDiscardingTaskGroup { group in
            group.addTask { await handle(frame, principal, peer, reply) }
        }
    }

    private func handle(_ frame: ClientFrame, _ principal: Principal, _ peer: ChatPeer, _ reply: ChatPeer.Reply) async {
        do {
            try await perform(frame, principal, peer, reply)
        } catch let problem as Problem {
            peer.fail(reply, problem)
        } catch {
            peer.socket.logger.error("chat frame failed", metadata: ["type": "\(frame.type)", "error": "\(error)"])
            peer.fail(reply, Problem(.internalServerError, detail: "The frame could not be handled; try again."))
        }
    }

    func leaveAll(_ peer: ChatPeer) async {
        for (room, user) in await hub.detachAll(peer) { await presence.left(room, user) }
    }

    private func answer(_ peer: ChatPeer, _ reply: ChatPeer.Reply, _ body: some Encodable) {
        if let text = peer.ack(reply, body) { peer.socket.send(text) }
    }

    private func perform(_ frame: ClientFrame, _ principal: Principal, _ peer: ChatPeer, _ reply: ChatPeer.Reply) async throws {
        switch frame.type {
        case "ping":
            if case .native(let ref) = reply { peer.socket.send(ServerFrame.text(ServerFrame.Pong(ref: ref))) } else { answer(peer, reply, ServerFrame.Empty()) }
        case "subscribe":
            try await subscribe(try Self.required(frame.room, "room"), lastSeq: frame.lastSeq, reply: reply, principal, peer)
        case "unsubscribe":
            let room = try Self.required(frame.room, "room")
            if let user = await hub.detach(peer, room: room) { await presence.left(room, user) }
            answer(peer, reply, RoomAck(room: room))
        case "send":
            let room = try Self.required(frame.room, "room")
            let (message, _) = try await service.send(
                ChatService.SendMessage(text: try Self.required(frame.text, "text"), replyTo: frame.replyTo, clientId: frame.clientId), to: room, by: principal
            )
            answer(peer, reply, SentAck(room: room, message: message))
        case "edit":
            let room = try Self.required(frame.room, "room")
            let message = try await service.edit(try Self.required(frame.id, "id"), in: room, text: try Self.required(frame.text, "text"), by: principal)
            answer(peer, reply, SentAck(room: room, message: message))
        case "delete":
            let room = try Self.required(frame.room, "room")
            try await service.delete(try Self.required(frame.id, "id"), in: room, by: principal)
            answer(peer, reply, RoomAck(room: room))
        case "react":
            let room = try Self.required(frame.room, "room")
            let held = try await service.react(to: try Self.required(frame.id, "id"), in: room, emoji: try Self.required(frame.emoji, "emoji"), by: principal)
            answer(peer, reply, ReactionAck(room: room, emoji: held))
        case "typing":
            let room = try Self.required(frame.room, "room")
            if await hub.mayAnnounceTyping(user: principal.userID, room: room, now: service.now(), interval: service.settings.typingInterval) {
                try await service.typing(in: room, by: principal)
            }
        case "read":
            let room = try Self.required(frame.room, "room")
            let mark = try await service.markRead(room, seq: try Self.required(frame.seq, "seq"), by: principal)
            answer(peer, reply, ReadAck(room: room, seq: mark))
        default:
            throw Problem.badRequest("Unknown frame type '\(frame.type)'.")
        }
    }

    /// Puts the live subscription in place first, then sends from storage what the client
    /// missed, then the ack, then what arrived meanwhile: nothing between the two is lost or
    /// sent twice, and the ack never comes before a message older than it.
    private func subscribe(_ room: String, lastSeq: Int64?, reply: ChatPeer.Reply, _ principal: Principal, _ peer: ChatPeer) async throws {
        _ = try await service.platform.read { sql in try await service.membership(room, of: principal, on: sql) }
        let first = await hub.attach(peer, user: principal.userID, room: room)
        do {
            let limit = service.settings.recoveryLimit
            let (current, missed) = try await service.platform.read { sql in
                let current = try await RoomStore.find(id: room, on: sql)?.seq ?? 0
                var missed: [Message] = []
                if let lastSeq { missed = try await MessageStore.after(lastSeq, in: room, limit: limit + 1, on: sql) }
                return (current, missed)
            }
            var recovered = lastSeq != nil
            var sentUpTo = current
            if let lastSeq {
                if lastSeq > current || missed.count > limit {
                    // A number this room never reached, or too much to replay: page history.
                    recovered = false
                } else {
                    for message in missed { peer.send(ChatFollower.frame(message)) }
                    sentUpTo = max(current, missed.last?.seq ?? current)
                }
            }
            // Recorded before the ack: a client that has its ack is in the room's presence.
            if first { await presence.entered(room, principal.userID) }
            let ack = peer.ack(reply, SubscribeAck(room: room, seq: sentUpTo, recovered: recovered))
            var hole = await hub.recovered(peer, room: room, sentUpTo: sentUpTo, ack: ack)
            while let missing = hole {
                let stored = try await service.platform.read { sql in try await MessageStore.range(missing, in: room, on: sql) }
                hole = await hub.fill(peer, room: room, messages: stored.map { ($0.seq, ChatFollower.frame($0)) })
                if stored.isEmpty { break }
            }
        } catch {
            if let user = await hub.detach(peer, room: room) { await presence.left(room, user) }
            throw error
        }
    }

    struct RoomAck: Encodable { var room: String }
    struct SubscribeAck: Encodable {
        var room: String
        var seq: Int64
        var recovered: Bool
    }
    struct SentAck: Encodable {
        var room: String
        var message: Message
    }
    struct ReactionAck: Encodable {
        var room: String
        var emoji: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(room, forKey: .room)
            try container.encode(emoji, forKey: .emoji)
        }

        enum CodingKeys: String, CodingKey { case room, emoji }
    }
    struct ReadAck: Encodable {
        var room: String
        var seq: Int64
    }

    static func required<Value>(_ value: Value?, _ field: String) throws -> Value {
        guard let value else { throw Problem.unprocessable("The frame needs \(field).", errors: [.init(field: field, message: "is required")]) }
        return value
    }
}
