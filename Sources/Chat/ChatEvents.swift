import ApusCore
import Foundation

/// What chat writes to the outbox: only `chat.message.created`, and only when
/// `APUS_CHAT_MESSAGE_EVENTS` is on. Chat consumes `identity.user.deleted` (`ChatOwnerEvents`).
enum ChatEvents {
    static let messageCreated = "chat.message.created"

    struct MessageCreated: Encodable {
        var id: String
        var roomId: String
        var seq: Int64
        var senderId: String
        var text: String
        /// RFC 3339.
        var createdAt: String

        init(id: String, roomId: String, seq: Int64, senderId: String, text: String, createdAt: Date) {
            self.id = id
            self.roomId = roomId
            self.seq = seq
            self.senderId = senderId
            self.text = text
            self.createdAt = Timestamp.format(createdAt)
        }
    }

    static let all = [
        EventDeclaration(
            messageCreated, summary: "A chat message was sent (when APUS_CHAT_MESSAGE_EVENTS is on).",
            payload: OpenAPIDocument.object([
                "id": ["type": "string", "pattern": OpenAPIDocument.idPattern],
                "room_id": ["type": "string", "pattern": OpenAPIDocument.idPattern],
                "seq": ["type": "integer", "minimum": 1],
                "sender_id": ["type": "string", "pattern": OpenAPIDocument.idPattern],
                "text": ["type": "string"],
                "created_at": OpenAPIDocument.time,
            ])
        )
    ]

    /// Drops a deleted user's memberships, bans and reactions (their messages stay, as
    /// history does in any chat).
    static func ownerConsumer() -> EventConsumer {
        EventConsumer(name: "chat.owners", typePrefixes: [IdentityEvents.userDeleted]) { event, transaction in
            guard let change = IdentityEvents.UserChange.decode(event) else { return }
            try await RoomStore.forget(user: change.userId, on: transaction.sql)
        }
    }
}
