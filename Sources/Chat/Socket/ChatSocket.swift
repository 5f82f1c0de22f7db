import ApusCore
import ApusKit
import Foundation
import Logging

/// `GET /v1/chat/socket`: JSON text frames, each with a `type`; a client frame's `ref` comes
/// back in its `ack` or `error`. The platform has authenticated the socket before this runs.
struct ChatSocket: Sendable {
    let service: ChatService
    let hub: ChatHub
    let presence: ChatPresence

    /// A frame from the client.
    struct ClientFrame: Decodable {
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
        let rate = Double(service.settings.sendRate)
        var bucket = TokenBucket(capacity: 2 * rate, refillPerSecond: rate, now: service.now().timeIntervalSince1970)
        do {
            for try await message in inbound {
                guard case .text(let text) = message else {
                    socket.send(Self.error(nil, Problem(.unsupportedMediaType, detail: "Frames are JSON text.")))
                    continue
                }
                guard let frame = try? APIJSON.decoder.decode(ClientFrame.self, from: Data(text.utf8)) else {
                    socket.send(Self.error(nil, Problem.badRequest("A frame is a JSON object with a type.")))
                    continue
                }
                if frame.type != "ping", case .refused = bucket.take(now: service.now().timeIntervalSince1970) {
                    socket.send(Self.error(frame.ref, Problem(.tooManyRequests, detail: "More than \(Int(rate)) frames a second; slow down.")))
                    continue
                }
                do {
                    try await handle(frame, principal, socket)
                } catch let problem as Problem {
                    socket.send(Self.error(frame.ref, problem))
                } catch {
                    socket.logger.error("chat frame failed", metadata: ["type": "\(frame.type)", "error": "\(error)"])
                    socket.send(Self.error(frame.ref, Problem(.internalServerError, detail: "The frame could not be handled; try again.")))
                }
            }
        } catch {
            await leaveAll(socket)
            throw error
        }
        await leaveAll(socket)
    }

    private func leaveAll(_ socket: Socket) async {
        for (room, user) in await hub.detachAll(socket) { await presence.left(room, user) }
    }

    private func handle(_ frame: ClientFrame, _ principal: Principal, _ socket: Socket) async throws {
        switch frame.type {
        case "ping":
            socket.send(json: ServerFrame.Pong(ref: frame.ref))
        case "subscribe":
            try await subscribe(try Self.required(frame.room, "room"), lastSeq: frame.lastSeq, ref: frame.ref, principal, socket)
        case "unsubscribe":
            let room = try Self.required(frame.room, "room")
            if let user = await hub.detach(socket, room: room) { await presence.left(room, user) }
            socket.send(ServerFrame.text(ServerFrame.Ack(ref: frame.ref, body: RoomAck(room: room))))
        case "send":
            let room = try Self.required(frame.room, "room")
            let (message, _) = try await service.send(
                ChatService.SendMessage(text: try Self.required(frame.text, "text"), replyTo: frame.replyTo, clientId: frame.clientId), to: room, by: principal
            )
            socket.send(ServerFrame.text(ServerFrame.Ack(ref: frame.ref, body: SentAck(room: room, message: message))))
        case "edit":
            let room = try Self.required(frame.room, "room")
            let message = try await service.edit(try Self.required(frame.id, "id"), in: room, text: try Self.required(frame.text, "text"), by: principal)
            socket.send(ServerFrame.text(ServerFrame.Ack(ref: frame.ref, body: SentAck(room: room, message: message))))
        case "delete":
            let room = try Self.required(frame.room, "room")
            try await service.delete(try Self.required(frame.id, "id"), in: room, by: principal)
            socket.send(ServerFrame.text(ServerFrame.Ack(ref: frame.ref, body: RoomAck(room: room))))
        case "react":
            let room = try Self.required(frame.room, "room")
            let held = try await service.react(to: try Self.required(frame.id, "id"), in: room, emoji: try Self.required(frame.emoji, "emoji"), by: principal)
            socket.send(ServerFrame.text(ServerFrame.Ack(ref: frame.ref, body: ReactionAck(room: room, emoji: held))))
        case "typing":
            let room = try Self.required(frame.room, "room")
            if await hub.mayAnnounceTyping(user: principal.userID, room: room, now: service.now(), interval: service.settings.typingInterval) {
                try await service.typing(in: room, by: principal)
            }
        case "read":
            let room = try Self.required(frame.room, "room")
            let mark = try await service.markRead(room, seq: try Self.required(frame.seq, "seq"), by: principal)
            socket.send(ServerFrame.text(ServerFrame.Ack(ref: frame.ref, body: ReadAck(room: room, seq: mark))))
        default:
            throw Problem.badRequest("Unknown frame type '\(frame.type)'.")
        }
    }

    /// Puts the live subscription in place first, then sends from storage what the client
    /// missed, then the ack, then what arrived meanwhile: nothing between the two is lost or
    /// sent twice, and the ack never comes before a message older than it.
    private func subscribe(_ room: String, lastSeq: Int64?, ref: JSONValue?, _ principal: Principal, _ socket: Socket) async throws {
        _ = try await service.platform.read { sql in try await service.membership(room, of: principal, on: sql) }
        let first = await hub.attach(socket, user: principal.userID, room: room)
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
                    for message in missed { socket.send(ChatFollower.frame(message)) }
                    sentUpTo = max(current, missed.last?.seq ?? current)
                }
            }
            // Recorded before the ack: a client that has its ack is in the room's presence.
            if first { await presence.entered(room, principal.userID) }
            let ack = ServerFrame.text(ServerFrame.Ack(ref: ref, body: SubscribeAck(room: room, seq: sentUpTo, recovered: recovered)))
            var hole = await hub.recovered(socket, room: room, sentUpTo: sentUpTo, ack: ack)
            while let missing = hole {
                let stored = try await service.platform.read { sql in try await MessageStore.range(missing, in: room, on: sql) }
                hole = await hub.fill(socket, room: room, messages: stored.map { ($0.seq, ChatFollower.frame($0)) })
                if stored.isEmpty { break }
            }
        } catch {
            if let user = await hub.detach(socket, room: room) { await presence.left(room, user) }
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

    static func error(_ ref: JSONValue?, _ problem: Problem) -> String {
        ServerFrame.text(ServerFrame.Error(
            ref: ref, error: .init(type: problem.type, title: problem.title, status: Int(problem.status.code), detail: problem.detail)
        ))
    }
}
