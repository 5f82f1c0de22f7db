import ApusCore
import Foundation
import SQLKit

/// Rooms, members and bans: the module's SQL, run on the connection or transaction it is given.
struct RoomStore: Sendable {
    static let columns = "id, kind, name, owner_id, seq, created_at, updated_at"

    static func room(_ row: any SQLRow) throws -> Room {
        Room(
            id: try row.decode(column: "id", as: String.self),
            kind: Room.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .private,
            name: try row.decode(column: "name", as: String.self),
            ownerId: try row.decode(column: "owner_id", as: String.self),
            seq: try row.decode(column: "seq", as: Int64.self),
            createdAt: try Timestamp.decode(row, column: "created_at"),
            updatedAt: try Timestamp.decode(row, column: "updated_at")
        )
    }

    static func member(_ row: any SQLRow) throws -> Member {
        Member(
            roomId: try row.decode(column: "room_id", as: String.self),
            userId: try row.decode(column: "user_id", as: String.self),
            role: MemberRole(rawValue: try row.decode(column: "role", as: String.self)) ?? .member,
            lastReadSeq: try row.decode(column: "last_read_seq", as: Int64.self),
            joinedAt: try Timestamp.decode(row, column: "joined_at")
        )
    }

    /// Inserts `room`; `false` when a direct room of the pair exists already.
    static func insert(_ room: Room, directKey: String?, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("""
            INSERT INTO chat_rooms (id, kind, name, owner_id, direct_key, seq, created_at, updated_at)
            VALUES (\(bind: room.id), \(bind: room.kind.rawValue), \(bind: room.name), \(bind: room.ownerId), \(bind: directKey), 0,
                    \(bind: Timestamp.format(room.createdAt)), \(bind: Timestamp.format(room.updatedAt)))
            ON CONFLICT DO NOTHING RETURNING id
            """).first() != nil
    }

    static func find(id: String, on sql: any SQLDatabase) async throws -> Room? {
        try await sql.raw("SELECT \(unsafeRaw: columns) FROM chat_rooms WHERE id = \(bind: id)").first().map(room)
    }

    static func find(directKey: String, on sql: any SQLDatabase) async throws -> Room? {
        try await sql.raw("SELECT \(unsafeRaw: columns) FROM chat_rooms WHERE direct_key = \(bind: directKey)").first().map(room)
    }

    /// The rooms `userID` is in and, with `includePublic`, every public room, by id after `after`.
    static func list(for userID: String, includePublic: Bool, limit: Int, after: String?, on sql: any SQLDatabase) async throws -> [Room] {
        let visible: SQLQueryString = includePublic
            ? "(kind = 'public' OR id IN (SELECT room_id FROM chat_members WHERE user_id = \(bind: userID)))"
            : "id IN (SELECT room_id FROM chat_members WHERE user_id = \(bind: userID))"
        return try await sql.raw("""
            SELECT \(unsafeRaw: columns) FROM chat_rooms WHERE \(visible) AND id > \(bind: after ?? "")
            ORDER BY id LIMIT \(bind: limit)
            """).all().map(room)
    }

    static func rename(_ id: String, name: String, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE chat_rooms SET name = \(bind: name), updated_at = \(bind: Timestamp.format(now)) WHERE id = \(bind: id)").run()
    }

    /// Deletes the room with everything in it.
    static func delete(_ id: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM chat_reactions WHERE message_id IN (SELECT id FROM chat_messages WHERE room_id = \(bind: id))").run()
        try await sql.raw("DELETE FROM chat_message_versions WHERE message_id IN (SELECT id FROM chat_messages WHERE room_id = \(bind: id))").run()
        for table in ["chat_messages", "chat_members", "chat_bans", "chat_presence"] {
            try await sql.raw("DELETE FROM \(unsafeRaw: table) WHERE room_id = \(bind: id)").run()
        }
        try await sql.raw("DELETE FROM chat_rooms WHERE id = \(bind: id)").run()
    }

    /// Takes the room's next sequence number, locking its row until the transaction ends: the
    /// room's messages commit in the order of their numbers.
    static func nextSeq(_ roomID: String, at now: Date, on sql: any SQLDatabase) async throws -> Int64? {
        try await sql.raw("""
            UPDATE chat_rooms SET seq = seq + 1, updated_at = \(bind: Timestamp.format(now)) WHERE id = \(bind: roomID) RETURNING seq
            """).first().map { try $0.decode(column: "seq", as: Int64.self) }
    }

    // MARK: Members

    static func member(_ roomID: String, _ userID: String, on sql: any SQLDatabase) async throws -> Member? {
        try await sql.raw("""
            SELECT room_id, user_id, role, last_read_seq, joined_at FROM chat_members WHERE room_id = \(bind: roomID) AND user_id = \(bind: userID)
            """).first().map(member)
    }

    static func members(_ roomID: String, limit: Int, after: String?, on sql: any SQLDatabase) async throws -> [Member] {
        try await sql.raw("""
            SELECT room_id, user_id, role, last_read_seq, joined_at FROM chat_members
            WHERE room_id = \(bind: roomID) AND user_id > \(bind: after ?? "") ORDER BY user_id LIMIT \(bind: limit)
            """).all().map(member)
    }

    /// Adds `member`, or changes the role of one who is in already.
    static func upsert(_ member: Member, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO chat_members (room_id, user_id, role, last_read_seq, joined_at)
            VALUES (\(bind: member.roomId), \(bind: member.userId), \(bind: member.role.rawValue), \(bind: member.lastReadSeq), \(bind: Timestamp.format(member.joinedAt)))
            ON CONFLICT (room_id, user_id) DO UPDATE SET role = excluded.role
            """).run()
    }

    static func removeMember(_ roomID: String, _ userID: String, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("DELETE FROM chat_members WHERE room_id = \(bind: roomID) AND user_id = \(bind: userID) RETURNING user_id").first() != nil
    }

    /// Moves the member's read mark forward (never back); the mark after the change.
    static func markRead(_ roomID: String, _ userID: String, seq: Int64, on sql: any SQLDatabase) async throws -> Int64? {
        try await sql.raw("""
            UPDATE chat_members SET last_read_seq = CASE WHEN last_read_seq < \(bind: seq) THEN \(bind: seq) ELSE last_read_seq END
            WHERE room_id = \(bind: roomID) AND user_id = \(bind: userID) RETURNING last_read_seq
            """).first().map { try $0.decode(column: "last_read_seq", as: Int64.self) }
    }

    static func unread(for userID: String, on sql: any SQLDatabase) async throws -> [Unread] {
        try await sql.raw("""
            SELECT m.room_id, r.seq, m.last_read_seq FROM chat_members m JOIN chat_rooms r ON r.id = m.room_id
            WHERE m.user_id = \(bind: userID) ORDER BY m.room_id
            """).all().map { row in
            let seq = try row.decode(column: "seq", as: Int64.self)
            let read = try row.decode(column: "last_read_seq", as: Int64.self)
            return Unread(roomId: try row.decode(column: "room_id", as: String.self), unread: max(0, seq - read), seq: seq, lastReadSeq: read)
        }
    }

    /// Drops every membership and ban of a deleted user.
    static func forget(user userID: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM chat_members WHERE user_id = \(bind: userID)").run()
        try await sql.raw("DELETE FROM chat_bans WHERE user_id = \(bind: userID)").run()
        try await sql.raw("DELETE FROM chat_reactions WHERE user_id = \(bind: userID)").run()
    }

    // MARK: Bans

    static func isBanned(_ roomID: String, _ userID: String, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("SELECT 1 AS banned FROM chat_bans WHERE room_id = \(bind: roomID) AND user_id = \(bind: userID)").first() != nil
    }

    static func ban(_ roomID: String, _ userID: String, by moderator: String, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO chat_bans (room_id, user_id, banned_by, created_at)
            VALUES (\(bind: roomID), \(bind: userID), \(bind: moderator), \(bind: Timestamp.format(now))) ON CONFLICT DO NOTHING
            """).run()
    }

    static func unban(_ roomID: String, _ userID: String, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("DELETE FROM chat_bans WHERE room_id = \(bind: roomID) AND user_id = \(bind: userID) RETURNING user_id").first() != nil
    }
}
