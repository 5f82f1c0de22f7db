import ApusCore
import Foundation
import Hummingbird

/// A room: `public` (anyone signed in may join), `private` (members add others) or `direct`
/// (two users, one room per pair).
struct Room: Codable, Sendable, Equatable, ResponseEncodable {
    enum Kind: String, Codable, Sendable, CaseIterable {
        case `public`, `private`, direct
    }

    var id: String
    var kind: Kind
    var name: String
    var ownerId: String
    /// The sequence number of the room's newest message (0 when it has none).
    var seq: Int64
    var createdAt: Date
    var updatedAt: Date
}

/// A member's standing in a room.
enum MemberRole: String, Codable, Sendable, CaseIterable, Comparable {
    case owner, moderator, member

    /// Whether the role may remove messages and members and ban.
    var moderates: Bool { self != .member }

    static func < (lhs: MemberRole, rhs: MemberRole) -> Bool {
        allCases.firstIndex(of: lhs)! > allCases.firstIndex(of: rhs)!
    }
}

/// A user in a room.
struct Member: Codable, Sendable, Equatable, ResponseEncodable {
    var roomId: String
    var userId: String
    var role: MemberRole
    /// The newest sequence number the user has read.
    var lastReadSeq: Int64
    var joinedAt: Date
}

/// A user present in a room.
struct PresentUser: Codable, Sendable, Equatable {
    var userId: String
}

/// A room's unread count for one member.
struct Unread: Codable, Sendable, Equatable {
    var roomId: String
    var unread: Int64
    var seq: Int64
    var lastReadSeq: Int64
}
