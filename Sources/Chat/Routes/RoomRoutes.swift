import ApusCore
import Foundation
import Hummingbird

/// Rooms, members and bans under `/v1/chat`: decode, call the service, encode.
struct RoomRoutes {
    let service: ChatService

    struct PatchRoom: Decodable { var name: String }
    struct AddMember: Decodable {
        var user: String?
        var role: MemberRole?
    }
    struct Ban: Decodable { var user: String }

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let chat = router.group("/v1/chat").add(middleware: RequirePermission(ChatModule.use))
        chat.post("/rooms") { request, context -> Response in
            let principal = try context.require(ChatModule.use)
            let body = try await request.decodeJSON(as: ChatService.CreateRoom.self, context: context)
            let (room, created) = try await service.create(body, by: principal)
            guard created else { return try room.response(from: request, context: context) }
            return try context.created(room, at: "/v1/chat/rooms/\(room.id)", for: request)
        }
        chat.get("/rooms") { request, context -> Page<Room> in
            let principal = try context.require(ChatModule.use)
            let limit = try request.pageLimit()
            let rooms = try await service.rooms(for: principal, limit: limit + 1, after: try request.pageCursor())
            return Page(fetched: rooms, limit: limit) { $0.id }
        }
        chat.get("/rooms/{id}") { _, context -> Room in
            try await service.visibleRoom(try context.requireID("id", kind: "room"), for: try context.require(ChatModule.use)).room
        }
        chat.patch("/rooms/{id}") { request, context -> Room in
            let principal = try context.require(ChatModule.use)
            let id = try context.requireID("id", kind: "room")
            let body = try await request.decodeJSON(as: PatchRoom.self, context: context)
            return try await service.rename(id, to: body.name, by: principal)
        }
        chat.delete("/rooms/{id}") { _, context -> Response in
            try await service.delete(try context.requireID("id", kind: "room"), by: try context.require(ChatModule.use))
            return Response(status: .noContent)
        }
        chat.get("/rooms/{id}/members") { request, context -> Page<Member> in
            let principal = try context.require(ChatModule.use)
            let limit = try request.pageLimit()
            let members = try await service.members(try context.requireID("id", kind: "room"), for: principal, limit: limit + 1, after: try request.pageCursor())
            return Page(fetched: members, limit: limit) { $0.userId }
        }
        chat.post("/rooms/{id}/members") { request, context -> Member in
            let principal = try context.require(ChatModule.use)
            let id = try context.requireID("id", kind: "room")
            let body = try await request.decodeJSON(as: AddMember.self, context: context)
            return try await service.addMember(id, user: body.user, role: body.role, by: principal)
        }
        chat.delete("/rooms/{id}/members/{user}") { _, context -> Response in
            let principal = try context.require(ChatModule.use)
            try await service.removeMember(try context.requireID("id", kind: "room"), user: try context.requireID("user", kind: "member"), by: principal)
            return Response(status: .noContent)
        }
        chat.post("/rooms/{id}/bans") { request, context -> Response in
            let principal = try context.require(ChatModule.use)
            let id = try context.requireID("id", kind: "room")
            let body = try await request.decodeJSON(as: Ban.self, context: context)
            try await service.ban(id, user: body.user, by: principal)
            return Response(status: .noContent)
        }
        chat.delete("/rooms/{id}/bans/{user}") { _, context -> Response in
            let principal = try context.require(ChatModule.use)
            try await service.unban(try context.requireID("id", kind: "room"), user: try context.requireID("user", kind: "ban"), by: principal)
            return Response(status: .noContent)
        }
        chat.get("/rooms/{id}/presence") { _, context -> Page<PresentUser> in
            let principal = try context.require(ChatModule.use)
            return Page(items: try await service.presence(in: try context.requireID("id", kind: "room"), for: principal), nextCursor: nil)
        }
        chat.get("/unread") { _, context -> Page<Unread> in
            Page(items: try await service.unread(for: try context.require(ChatModule.use)), nextCursor: nil)
        }
    }
}
