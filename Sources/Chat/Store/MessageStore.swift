import ApusCore
import Foundation
import SQLKit

/// Messages, their earlier versions and reactions.
struct MessageStore: Sendable {
    static let columns = "id, room_id, seq, sender_id, text, reply_to, client_id, created_at, edited_at, deleted_at"

    static func message(_ row: any SQLRow) throws -> Message {
        Message(
            id: try row.decode(column: "id", as: String.self),
            roomId: try row.decode(column: "room_id", as: String.self),
            seq: try row.decode(column: "seq", as: Int64.self),
            senderId: try row.decode(column: "sender_id", as: String.self),
            text: try row.decode(column: "text", as: String.self),
            replyTo: try row.decode(column: "reply_to", as: String?.self),
            clientId: try row.decode(column: "client_id", as: String?.self),
            createdAt: try Timestamp.decode(row, column: "created_at"),
            editedAt: try row.decode(column: "edited_at", as: String?.self).flatMap(Timestamp.parse),
            deletedAt: try row.decode(column: "deleted_at", as: String?.self).flatMap(Timestamp.parse)
        )
    }

    static func insert(_ message: Message, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO chat_messages (id, room_id, seq, sender_id, text, reply_to, client_id, created_at)
            VALUES (\(bind: message.id), \(bind: message.roomId), \(bind: message.seq), \(bind: message.senderId), \(bind: message.text),
                    \(bind: message.replyTo), \(bind: message.clientId), \(bind: Timestamp.format(message.createdAt)))
            """).run()
    }

    static func find(id: String, in roomID: String, on sql: any SQLDatabase) async throws -> Message? {
        try await sql.raw("SELECT \(unsafeRaw: columns) FROM chat_messages WHERE id = \(bind: id) AND room_id = \(bind: roomID)").first().map(message)
    }

    /// The message `sender` sent earlier with `clientID`, if any.
    static func find(clientID: String, sender: String, in roomID: String, on sql: any SQLDatabase) async throws -> Message? {
        try await sql.raw("""
            SELECT \(unsafeRaw: columns) FROM chat_messages
            WHERE room_id = \(bind: roomID) AND sender_id = \(bind: sender) AND client_id = \(bind: clientID)
            """).first().map(message)
    }

    /// Up to `limit` messages with sequence numbers after `after`, oldest first.
    static func after(_ after: Int64, in roomID: String, limit: Int, on sql: any SQLDatabase) async throws -> [Message] {
        try await sql.raw(afterStatement(after, in: roomID, limit: limit)).all().map(message)
    }

    static func afterStatement(_ after: Int64, in roomID: String, limit: Int) -> SQLQueryString {
        """
        SELECT \(unsafeRaw: columns) FROM chat_messages WHERE room_id = \(bind: roomID) AND seq > \(bind: after)
        ORDER BY seq LIMIT \(bind: limit)
        """
    }

    /// Up to `limit` messages before `before` (all when `nil`), newest first.
    static func before(_ before: Int64?, in roomID: String, limit: Int, on sql: any SQLDatabase) async throws -> [Message] {
        try await sql.raw(beforeStatement(before, in: roomID, limit: limit)).all().map(message)
    }

    static func beforeStatement(_ before: Int64?, in roomID: String, limit: Int) -> SQLQueryString {
        """
        SELECT \(unsafeRaw: columns) FROM chat_messages WHERE room_id = \(bind: roomID) AND seq < \(bind: before ?? Int64.max)
        ORDER BY seq DESC LIMIT \(bind: limit)
        """
    }

    /// Messages numbered `range` (a node filling a gap the bus left), oldest first.
    static func range(_ range: ClosedRange<Int64>, in roomID: String, on sql: any SQLDatabase) async throws -> [Message] {
        try await sql.raw("""
            SELECT \(unsafeRaw: columns) FROM chat_messages WHERE room_id = \(bind: roomID) AND seq >= \(bind: range.lowerBound) AND seq <= \(bind: range.upperBound)
            ORDER BY seq
            """).all().map(message)
    }

    /// Replaces the text, keeping the old one as a version.
    static func edit(_ message: Message, text: String, at now: Date, on sql: any SQLDatabase) async throws {
        let version = try await sql.raw("SELECT COUNT(*) AS n FROM chat_message_versions WHERE message_id = \(bind: message.id)")
            .first()?.decode(column: "n", as: Int.self) ?? 0
        try await sql.raw("""
            INSERT INTO chat_message_versions (message_id, version, text, replaced_at)
            VALUES (\(bind: message.id), \(bind: version + 1), \(bind: message.text), \(bind: Timestamp.format(now)))
            """).run()
        try await sql.raw("UPDATE chat_messages SET text = \(bind: text), edited_at = \(bind: Timestamp.format(now)) WHERE id = \(bind: message.id)").run()
    }

    /// Leaves a tombstone: the text goes (with its versions), the sequence number stays.
    static func delete(_ message: Message, at now: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM chat_message_versions WHERE message_id = \(bind: message.id)").run()
        try await sql.raw("DELETE FROM chat_reactions WHERE message_id = \(bind: message.id)").run()
        try await sql.raw("UPDATE chat_messages SET text = '', deleted_at = \(bind: Timestamp.format(now)) WHERE id = \(bind: message.id)").run()
    }

    static func versions(of messageID: String, on sql: any SQLDatabase) async throws -> [MessageVersion] {
        try await sql.raw("SELECT version, text, replaced_at FROM chat_message_versions WHERE message_id = \(bind: messageID) ORDER BY version")
            .all().map { row in
                MessageVersion(
                    version: try row.decode(column: "version", as: Int.self), text: try row.decode(column: "text", as: String.self),
                    replacedAt: try Timestamp.decode(row, column: "replaced_at")
                )
            }
    }

    /// Sets, changes or (with the same emoji again) removes `user`'s reaction; the emoji now
    /// held, `nil` when removed.
    static func toggleReaction(_ messageID: String, user: String, emoji: String, at now: Date, on sql: any SQLDatabase) async throws -> String? {
        let current = try await sql.raw("SELECT emoji FROM chat_reactions WHERE message_id = \(bind: messageID) AND user_id = \(bind: user)")
            .first()?.decode(column: "emoji", as: String.self)
        if current == emoji {
            try await sql.raw("DELETE FROM chat_reactions WHERE message_id = \(bind: messageID) AND user_id = \(bind: user)").run()
            return nil
        }
        try await sql.raw("""
            INSERT INTO chat_reactions (message_id, user_id, emoji, created_at) VALUES (\(bind: messageID), \(bind: user), \(bind: emoji), \(bind: Timestamp.format(now)))
            ON CONFLICT (message_id, user_id) DO UPDATE SET emoji = excluded.emoji, created_at = excluded.created_at
            """).run()
        return emoji
    }

    /// The reactions on `messages`, by message id: emoji → users, users sorted.
    static func reactions(on messageIDs: [String], on sql: any SQLDatabase) async throws -> [String: [String: [String]]] {
        guard !messageIDs.isEmpty else { return [:] }
        let rows = try await sql.raw("""
            SELECT message_id, user_id, emoji FROM chat_reactions WHERE message_id IN (\(SQLList(messageIDs.map { SQLBind($0) })))
            ORDER BY user_id
            """).all()
        var result: [String: [String: [String]]] = [:]
        for row in rows {
            let id = try row.decode(column: "message_id", as: String.self)
            result[id, default: [:]][try row.decode(column: "emoji", as: String.self), default: []].append(try row.decode(column: "user_id", as: String.self))
        }
        return result
    }
}
