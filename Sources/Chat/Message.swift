import ApusCore
import Foundation
import Hummingbird

/// A message in a room, numbered by the room's gap-free sequence. A deleted message stays in
/// history as a tombstone: its text is empty and `deleted_at` says when.
struct Message: Codable, Sendable, Equatable, ResponseEncodable {
    var id: String
    var roomId: String
    var seq: Int64
    var senderId: String
    var text: String
    var replyTo: String?
    /// The sender's idempotency key: a resend after a lost ack returns the first message.
    var clientId: String?
    var createdAt: Date
    var editedAt: Date?
    var deletedAt: Date?
    /// Emoji and who reacted with each, when asked for.
    var reactions: [String: [String]]?
}

/// An earlier text of an edited message (moderators see them).
struct MessageVersion: Codable, Sendable, Equatable {
    var version: Int
    var text: String
    var replacedAt: Date
}
