import ApusCore
import Foundation

/// What nodes tell each other about rooms, on the bus channel ``channel``, after the change
/// committed. A message carries its ready frame when it fits in a bus payload; otherwise only
/// its number, and each node reads it. A node that misses a note (the bus dropped it) sees a
/// gap in the room's numbers and reads what it missed, so a note is a hint, never the record.
struct ChatFeed: Codable, Sendable, Equatable {
    static let channel = "chat.rooms"

    enum Kind: String, Codable, Sendable {
        /// A new message: `seq`, and `frame` when it fitted.
        case message
        /// A frame for the room's subscribers now (an edit, a deletion, a reaction, a receipt,
        /// typing): `frame`, or `id` of an edited message too large to carry.
        case update
        /// `user` left or was removed or banned: their subscriptions go.
        case removed
        /// The room was deleted.
        case closed
    }

    var kind: Kind
    var room: String
    var seq: Int64?
    var frame: String?
    var id: String?
    var user: String?

    static func removed(room: String, user: String) -> ChatFeed { ChatFeed(kind: .removed, room: room, user: user) }
    static func closed(room: String) -> ChatFeed { ChatFeed(kind: .closed, room: room) }

    var encoded: String {
        (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func decode(_ text: String) -> ChatFeed? {
        try? JSONDecoder().decode(ChatFeed.self, from: Data(text.utf8))
    }

    /// Publishes `note` when `transaction` commits; a frame too large for the bus is left out
    /// (its `seq` or `id` lets every node read it).
    static func publish(_ note: ChatFeed, in transaction: Transaction) throws {
        var note = note
        if note.encoded.utf8.count > clusterBusMaximumPayloadBytes { note.frame = nil }
        try transaction.publish(channel, note.encoded)
    }
}
