import ApusCore
import Foundation
import SQLKit

/// The chat domain: rooms, membership, bans, and (in `+Messages`) messages. Every change runs
/// in one platform transaction; what other sockets must hear is published on the bus after the
/// commit (`ChatFeed.channel`), so nothing is announced that was rolled back.
struct ChatService: Sendable {
    let platform: Platform
    let settings: ChatSettings

    func now() -> Date { platform.now() }

    // MARK: Rooms

    struct CreateRoom: Decodable, Sendable {
        var name: String?
        var kind: Room.Kind
        /// The other user of a direct room.
        var user: String?
    }

    /// Creates a room with the caller as owner; for a direct room, answers the pair's existing
    /// room if there is one (`created` is then `false`).
    func create(_ body: CreateRoom, by principal: Principal) async throws -> (room: Room, created: Bool) {
        let now = now()
        var directKey: String?
        var other: String?
        switch body.kind {
        case .direct:
            guard let user = try body.user.map({ try Self.validUser($0) }) else {
                throw Problem.unprocessable("A direct room names the other user.", errors: [.init(field: "user", message: "is required for a direct room")])
            }
            guard user != principal.userID else {
                throw Problem.unprocessable("A direct room is between two users.", errors: [.init(field: "user", message: "is yourself")])
            }
            guard try await platform.users.exists(id: user) else {
                throw Problem.unprocessable("No such user.", errors: [.init(field: "user", message: "no user \(user)")])
            }
            other = user
            directKey = [principal.userID, user].sorted().joined(separator: " ")
        case .public, .private:
            guard body.user == nil else {
                throw Problem.unprocessable("Only a direct room names a user.", errors: [.init(field: "user", message: "is only for a direct room")])
            }
        }
        let name = body.kind == .direct ? try Self.validName(body.name ?? "", mayBeEmpty: true) : try Self.validName(body.name)
        let room = Room(id: OpaqueID.make("room", at: now), kind: body.kind, name: name, ownerId: principal.userID, seq: 0, createdAt: now, updatedAt: now)
        let pair = (key: directKey, other: other)
        return try await platform.transaction { transaction in
            let sql = transaction.sql
            guard try await RoomStore.insert(room, directKey: pair.key, on: sql) else {
                guard let directKey = pair.key, let existing = try await RoomStore.find(directKey: directKey, on: sql) else {
                    throw Problem.conflict("The room could not be created; try again.")
                }
                return (existing, false)
            }
            try await RoomStore.upsert(Member(roomId: room.id, userId: principal.userID, role: .owner, lastReadSeq: 0, joinedAt: now), on: sql)
            if let other = pair.other {
                try await RoomStore.upsert(Member(roomId: room.id, userId: other, role: .owner, lastReadSeq: 0, joinedAt: now), on: sql)
            }
            return (room, true)
        }
    }

    static func validName(_ name: String?, mayBeEmpty: Bool = false) throws -> String {
        guard let name, mayBeEmpty || !name.isEmpty else {
            throw Problem.unprocessable("A room has a name.", errors: [.init(field: "name", message: "is required")])
        }
        guard name.unicodeScalars.count <= 100, !name.contains("\u{0}") else {
            throw Problem.unprocessable("The name is too long.", errors: [.init(field: "name", message: "is at most 100 characters, without NUL")])
        }
        return name
    }

    /// A user id in a body: well-formed, or a 422 naming the field.
    static func validUser(_ id: String, field: String = "user") throws -> String {
        guard OpaqueID.isWellFormed(id) else { throw Problem.unprocessable("\(field) is not a user id.", errors: [.init(field: field, message: "is not a user id")]) }
        return id
    }

    /// The rooms the caller is in, and the public ones.
    func rooms(for principal: Principal, limit: Int, after: String?) async throws -> [Room] {
        try await platform.read { sql in
            try await RoomStore.list(for: principal.userID, includePublic: true, limit: limit, after: after, on: sql)
        }
    }

    /// A room the caller may see (a public one, one they are in, any for an admin), with their
    /// membership; 404 otherwise.
    func visibleRoom(_ id: String, for principal: Principal) async throws -> (room: Room, member: Member?) {
        // The primary: it decides access, and a removed or banned member sends no position.
        try await platform.read.primary { sql in
            guard let room = try await RoomStore.find(id: id, on: sql) else { throw Problem.notFound("No room \(id).") }
            let member = try await RoomStore.member(id, principal.userID, on: sql)
            guard member != nil || room.kind == .public || principal.isAdmin else { throw Problem.notFound("No room \(id).") }
            return (room, member)
        }
    }

    /// The caller's membership of a room they are in (admins count as owners); 404 for a room
    /// they cannot see, 403 for one they can but are not in.
    func membership(_ roomID: String, of principal: Principal, on sql: any SQLDatabase) async throws -> (room: Room, role: MemberRole) {
        guard let room = try await RoomStore.find(id: roomID, on: sql) else { throw Problem.notFound("No room \(roomID).") }
        if let member = try await RoomStore.member(roomID, principal.userID, on: sql) { return (room, member.role) }
        if principal.isAdmin { return (room, .owner) }
        guard room.kind == .public else { throw Problem.notFound("No room \(roomID).") }
        throw Problem.forbidden("Join the room first.")
    }

    func rename(_ roomID: String, to name: String, by principal: Principal) async throws -> Room {
        let name = try Self.validName(name)
        return try await platform.transaction { transaction in
            let (room, role) = try await membership(roomID, of: principal, on: transaction.sql)
            guard role.moderates, room.kind != .direct else { throw Problem.forbidden("Only the room's owner or a moderator renames it.") }
            try await RoomStore.rename(roomID, name: name, at: transaction.now(), on: transaction.sql)
            return try await RoomStore.find(id: roomID, on: transaction.sql) ?? room
        }
    }

    func delete(_ roomID: String, by principal: Principal) async throws {
        try await platform.transaction { transaction in
            let (_, role) = try await membership(roomID, of: principal, on: transaction.sql)
            guard role == .owner else { throw Problem.forbidden("Only the room's owner deletes it.") }
            try await RoomStore.delete(roomID, on: transaction.sql)
            try ChatFeed.publish(.closed(room: roomID), in: transaction)
        }
    }

    // MARK: Members

    func members(_ roomID: String, for principal: Principal, limit: Int, after: String?) async throws -> [Member] {
        _ = try await visibleRoom(roomID, for: principal)
        return try await platform.read { sql in try await RoomStore.members(roomID, limit: limit, after: after, on: sql) }
    }

    /// Joins a public room oneself (`user` nil), or adds `user` with `role` (moderators; only an
    /// owner makes owners).
    func addMember(_ roomID: String, user: String?, role: MemberRole?, by principal: Principal) async throws -> Member {
        let now = now()
        let user = try user.map { try Self.validUser($0) }
        return try await platform.transaction { transaction in
            let sql = transaction.sql
            guard let room = try await RoomStore.find(id: roomID, on: sql) else { throw Problem.notFound("No room \(roomID).") }
            let mine = try await RoomStore.member(roomID, principal.userID, on: sql)
            guard room.kind != .direct else { throw Problem.forbidden("A direct room has its two users only.") }
            guard let user, user != principal.userID else {
                // Joining oneself.
                if let mine { return mine }
                guard room.kind == .public || principal.isAdmin else { throw Problem.notFound("No room \(roomID).") }
                guard try await !RoomStore.isBanned(roomID, principal.userID, on: sql) else { throw Problem.forbidden("You are banned from this room.") }
                let member = Member(roomId: roomID, userId: principal.userID, role: principal.isAdmin && role != nil ? role! : .member, lastReadSeq: 0, joinedAt: now)
                try await RoomStore.upsert(member, on: sql)
                return member
            }
            let myRole: MemberRole? = mine?.role ?? (principal.isAdmin ? .owner : nil)
            guard let myRole else {
                if room.kind == .public { throw Problem.forbidden("Only the room's owner or a moderator adds members.") }
                throw Problem.notFound("No room \(roomID).")
            }
            guard myRole.moderates else { throw Problem.forbidden("Only the room's owner or a moderator adds members.") }
            let wanted = role ?? .member
            guard wanted != .owner || myRole == .owner else { throw Problem.forbidden("Only an owner makes owners.") }
            guard try await platform.users.exists(id: user) else {
                throw Problem.unprocessable("No such user.", errors: [.init(field: "user", message: "no user \(user)")])
            }
            guard try await !RoomStore.isBanned(roomID, user, on: sql) else { throw Problem.conflict("\(user) is banned from this room; lift the ban first.") }
            if let existing = try await RoomStore.member(roomID, user, on: sql), existing.role == .owner, myRole != .owner {
                throw Problem.forbidden("Only an owner changes an owner's role.")
            }
            let existing = try await RoomStore.member(roomID, user, on: sql)
            let member = Member(roomId: roomID, userId: user, role: wanted, lastReadSeq: existing?.lastReadSeq ?? 0, joinedAt: existing?.joinedAt ?? now)
            try await RoomStore.upsert(member, on: sql)
            return member
        }
    }

    /// Removes `user` from the room (oneself: leaving); their sockets lose the room at once.
    func removeMember(_ roomID: String, user: String, by principal: Principal) async throws {
        try await platform.transaction { transaction in
            let sql = transaction.sql
            let (room, myRole) = try await membership(roomID, of: principal, on: sql)
            if user != principal.userID {
                guard myRole.moderates else { throw Problem.forbidden("Only the room's owner or a moderator removes members.") }
                guard room.kind != .direct else { throw Problem.forbidden("A direct room has its two users only.") }
                if let target = try await RoomStore.member(roomID, user, on: sql), target.role == .owner, myRole != .owner {
                    throw Problem.forbidden("Only an owner removes an owner.")
                }
            }
            guard try await RoomStore.removeMember(roomID, user, on: sql) else { throw Problem.notFound("\(user) is not in this room.") }
            try ChatFeed.publish(.removed(room: roomID, user: user), in: transaction)
        }
    }

    func ban(_ roomID: String, user: String, by principal: Principal) async throws {
        let user = try Self.validUser(user)
        return try await platform.transaction { transaction in
            let sql = transaction.sql
            let (room, myRole) = try await membership(roomID, of: principal, on: sql)
            guard myRole.moderates, room.kind != .direct else { throw Problem.forbidden("Only the room's owner or a moderator bans.") }
            guard user != principal.userID else { throw Problem.unprocessable("You cannot ban yourself.") }
            if let target = try await RoomStore.member(roomID, user, on: sql), target.role == .owner, myRole != .owner {
                throw Problem.forbidden("Only an owner bans an owner.")
            }
            try await RoomStore.ban(roomID, user, by: principal.userID, at: transaction.now(), on: sql)
            if try await RoomStore.removeMember(roomID, user, on: sql) {
                try ChatFeed.publish(.removed(room: roomID, user: user), in: transaction)
            }
        }
    }

    func unban(_ roomID: String, user: String, by principal: Principal) async throws {
        try await platform.transaction { transaction in
            let (room, myRole) = try await membership(roomID, of: principal, on: transaction.sql)
            guard myRole.moderates, room.kind != .direct else { throw Problem.forbidden("Only the room's owner or a moderator lifts bans.") }
            guard try await RoomStore.unban(roomID, user, on: transaction.sql) else { throw Problem.notFound("\(user) is not banned here.") }
        }
    }

    /// The users with a socket subscribed to the room now, on any node.
    func presence(in roomID: String, for principal: Principal) async throws -> [PresentUser] {
        let (_, member) = try await visibleRoom(roomID, for: principal)
        guard member != nil || principal.isAdmin else { throw Problem.forbidden("Join the room to see who is in it.") }
        let now = now()
        return try await platform.read { sql in try await PresenceStore.present(in: roomID, at: now, on: sql) }.map(PresentUser.init(userId:))
    }

    func unread(for principal: Principal) async throws -> [Unread] {
        try await platform.read { sql in try await RoomStore.unread(for: principal.userID, on: sql) }
    }
}
