import ApusCore
import Foundation

/// The frames the server sends on a chat socket (and through Socket.IO, as event payloads),
/// JSON with a `type`, in the API's conventions (snake_case, RFC 3339 times).
enum ServerFrame {
    struct MessageFrame: Encodable {
        var type = "message"
        var room: String
        var message: Message
    }

    struct Edited: Encodable {
        var type = "edited"
        var room: String
        var message: Message
    }

    struct Deleted: Encodable {
        var type = "deleted"
        var room: String
        var id: String
        var seq: Int64
    }

    struct Reaction: Encodable {
        var type = "reaction"
        var room: String
        var id: String
        var userId: String
        /// `nil` when the user took their reaction back.
        var emoji: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try container.encode(room, forKey: .room)
            try container.encode(id, forKey: .id)
            try container.encode(userId, forKey: .userId)
            try container.encode(emoji, forKey: .emoji)
        }

        enum CodingKeys: String, CodingKey { case type, room, id, userId, emoji }
    }

    struct Typing: Encodable {
        var type = "typing"
        var room: String
        var userId: String
    }

    struct Receipt: Encodable {
        var type = "receipt"
        var room: String
        var userId: String
        var seq: Int64
    }

    struct Presence: Encodable {
        var type = "presence"
        var room: String
        var userId: String
        var online: Bool
    }

    struct Unsubscribed: Encodable {
        var type = "unsubscribed"
        var room: String
        /// `removed` (from the room, or banned) or `deleted` (the room).
        var reason: String
    }

    struct Ack<Body: Encodable>: Encodable {
        var type = "ack"
        var ref: JSONValue?
        var body: Body

        func encode(to encoder: any Encoder) throws {
            try body.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            if let ref { try container.encode(ref, forKey: .ref) }
        }

        enum CodingKeys: String, CodingKey { case type, ref }
    }

    struct Empty: Encodable {}

    struct Error: Encodable {
        var type = "error"
        var ref: JSONValue?
        var error: Problem

        /// An RFC 9457 problem, as the API would answer it.
        struct Problem: Encodable {
            var type: String
            var title: String
            var status: Int
            var detail: String?
        }
    }

    struct Pong: Encodable {
        var type = "pong"
        var ref: JSONValue?
    }

    /// `value` as frame text.
    static func text(_ value: some Encodable) -> String {
        (try? APIJSON.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
