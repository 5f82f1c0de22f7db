import ApusCore
import Foundation
import Hummingbird

/// A room's messages under `/v1/chat/rooms/{id}/messages`, for clients without a socket.
struct MessageRoutes {
    let service: ChatService

    struct EditMessage: Decodable { var text: String }
    struct React: Decodable { var emoji: String }
    struct Read: Decodable { var seq: Int64 }
    struct Reaction: Encodable, ResponseEncodable {
        var emoji: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(emoji, forKey: .emoji)
        }

        enum CodingKeys: String, CodingKey { case emoji }
    }
    struct ReadMark: Encodable, ResponseEncodable { var lastReadSeq: Int64 }

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let room = router.group("/v1/chat/rooms/{id}").add(middleware: RequirePermission(ChatModule.use))
        room.get("/messages") { request, context -> Page<Message> in
            let principal = try context.require(ChatModule.use)
            let query = request.uri.queryParameters
            let before = try Self.sequence(query.get("before"), "before")
            let after = try Self.sequence(query.get("after"), "after")
            return try await service.history(try context.requireID("id", kind: "room"), for: principal, before: before, after: after, limit: try request.pageLimit())
        }
        room.post("/messages") { request, context -> Response in
            let principal = try context.require(ChatModule.use)
            let id = try context.requireID("id", kind: "room")
            let body = try await request.decodeJSON(as: ChatService.SendMessage.self, context: context)
            let (message, created) = try await service.send(body, to: id, by: principal)
            guard created else { return try message.response(from: request, context: context) }
            return try context.created(message, at: "/v1/chat/rooms/\(id)/messages/\(message.id)", for: request)
        }
        room.patch("/messages/{message}") { request, context -> Message in
            let principal = try context.require(ChatModule.use)
            let body = try await request.decodeJSON(as: EditMessage.self, context: context)
            return try await service.edit(
                try context.requireID("message", kind: "message"), in: try context.requireID("id", kind: "room"), text: body.text, by: principal
            )
        }
        room.delete("/messages/{message}") { _, context -> Response in
            let principal = try context.require(ChatModule.use)
            try await service.delete(try context.requireID("message", kind: "message"), in: try context.requireID("id", kind: "room"), by: principal)
            return Response(status: .noContent)
        }
        room.get("/messages/{message}/versions") { _, context -> Page<MessageVersion> in
            let principal = try context.require(ChatModule.use)
            let versions = try await service.versions(of: try context.requireID("message", kind: "message"), in: try context.requireID("id", kind: "room"), for: principal)
            return Page(items: versions, nextCursor: nil)
        }
        room.post("/messages/{message}/reactions") { request, context -> Reaction in
            let principal = try context.require(ChatModule.use)
            let body = try await request.decodeJSON(as: React.self, context: context)
            let held = try await service.react(
                to: try context.requireID("message", kind: "message"), in: try context.requireID("id", kind: "room"), emoji: body.emoji, by: principal
            )
            return Reaction(emoji: held)
        }
        room.post("/read") { request, context -> ReadMark in
            let principal = try context.require(ChatModule.use)
            let body = try await request.decodeJSON(as: Read.self, context: context)
            return ReadMark(lastReadSeq: try await service.markRead(try context.requireID("id", kind: "room"), seq: body.seq, by: principal))
        }
    }

    static func sequence(_ text: String?, _ name: String) throws -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text), value >= 0 else { throw Problem.badRequest("\(name) is a message number (0 or more).") }
        return value
    }
}
