import ApusCore
import Foundation
import SQLKit

/// `chat_presence`: one row per room, user and node while the user has a socket subscribed to
/// the room on that node; `expires_at` (milliseconds) is pushed forward by the node's heartbeat.
struct PresenceStore: Sendable {

    static func enter(room: String, user: String, node: String, until expiry: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO chat_presence (room_id, user_id, node, expires_at) VALUES (\(bind: room), \(bind: user), \(bind: node), \(bind: expiry.epochMilliseconds))
            ON CONFLICT (room_id, user_id, node) DO UPDATE SET expires_at = excluded.expires_at
            """).run()
    }

    static func leave(room: String, user: String, node: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM chat_presence WHERE room_id = \(bind: room) AND user_id = \(bind: user) AND node = \(bind: node)").run()
    }

    /// Whether `user` is present in `room` through any node.
    static func isPresent(room: String, user: String, at now: Date, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("""
            SELECT 1 AS present FROM chat_presence WHERE room_id = \(bind: room) AND user_id = \(bind: user) AND expires_at > \(bind: now.epochMilliseconds)
            """).first() != nil
    }

    /// The users present in `room`, sorted.
    static func present(in room: String, at now: Date, on sql: any SQLDatabase) async throws -> [String] {
        try await sql.raw("""
            SELECT DISTINCT user_id FROM chat_presence WHERE room_id = \(bind: room) AND expires_at > \(bind: now.epochMilliseconds) ORDER BY user_id
            """).all().map { try $0.decode(column: "user_id", as: String.self) }
    }

    /// Pushes this node's rows forward.
    static func refresh(node: String, until expiry: Date, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE chat_presence SET expires_at = \(bind: expiry.epochMilliseconds) WHERE node = \(bind: node)").run()
    }

    /// Removes expired rows (of nodes that stopped beating) and returns their rooms and users.
    static func sweep(at now: Date, on sql: any SQLDatabase) async throws -> [(room: String, user: String)] {
        try await sql.raw("DELETE FROM chat_presence WHERE expires_at <= \(bind: now.epochMilliseconds) RETURNING room_id, user_id").all().map { row in
            (try row.decode(column: "room_id", as: String.self), try row.decode(column: "user_id", as: String.self))
        }
    }
}
