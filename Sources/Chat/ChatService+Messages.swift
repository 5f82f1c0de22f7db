import ApusCore
import Foundation
import SQLKit

extension ChatService {
    struct SendMessage: Decodable, Sendable {
        var text: String
        var replyTo: String?
        var clientId: String?
    }

    func validText(_ text: String) throws -> String {
        guard !text.isEmpty, text.count <= settings.maxText, !text.contains("\u{0}") else {
            throw Problem.unprocessable(
                "A message is 1 to \(settings.maxText) characters, without NUL.",
                errors: [.init(field: "text", message: "is 1 to \(settings.maxText) characters, without NUL")]
            )
        }
        return text
    }

    /// Stores a message under the room's next number and announces it. A `client_id` already
    /// used by the sender in this room returns the first message (`created` false), never a
    /// second one.
    func send(_ body: SendMessage, to roomID: String, by principal: Principal) async throws -> (message: Message, created: Bool) {
        let text = try validText(body.text)
        if let clientId = body.clientId, clientId.isEmpty || clientId.count > 64 || clientId.contains("\u{0}") {
            throw Problem.unprocessable("client_id is 1 to 64 characters.", errors: [.init(field: "client_id", message: "is 1 to 64 characters")])
        }
        return try await platform.transaction { transaction in
            let sql = transaction.sql
            _ = try await membership(roomID, of: principal, on: sql)
            if let clientId = body.clientId, let first = try await MessageStore.find(clientID: clientId, sender: principal.userID, in: roomID, on: sql) {
                return (first, false)
            }
            if let replyTo = body.replyTo, try await MessageStore.find(id: replyTo, in: roomID, on: sql) == nil {
                throw Problem.unprocessable("reply_to names no message of this room.", errors: [.init(field: "reply_to", message: "no message \(replyTo) here")])
            }
            let now = transaction.now()
            // Locks the room's row: concurrent senders commit one after the other, in number order.
            guard let seq = try await RoomStore.nextSeq(roomID, at: now, on: sql) else { throw Problem.notFound("No room \(roomID).") }
            let message = Message(
                id: OpaqueID.make("msg", at: now), roomId: roomID, seq: seq, senderId: principal.userID, text: text,
                replyTo: body.replyTo, clientId: body.clientId, createdAt: now, editedAt: nil, deletedAt: nil
            )
            try await MessageStore.insert(message, on: sql)
            if settings.messageEvents {
                try await transaction.emit(
                    ChatEvents.messageCreated, aggregate: roomID,
                    json: ChatEvents.MessageCreated(id: message.id, roomId: roomID, seq: seq, senderId: principal.userID, text: text, createdAt: now),
                    owner: principal.userID
                )
            }
            let frame = ServerFrame.text(ServerFrame.MessageFrame(room: roomID, message: message))
            try ChatFeed.publish(ChatFeed(kind: .message, room: roomID, seq: seq, frame: frame), in: transaction)
            return (message, true)
        }
    }

    /// A page of history, items oldest first: before `before` (the newest page when neither is
    /// given), or after `after` (and below `before` when both are given); the cursor is the
    /// number to pass as `before` for older ones.
    func history(_ roomID: String, for principal: Principal, before: Int64?, after: Int64?, limit: Int) async throws -> Page<Message> {
        let (_, member) = try await visibleRoom(roomID, for: principal)
        guard member != nil || principal.isAdmin else { throw Problem.forbidden("Join the room to read its messages.") }
        return try await platform.read { sql in
            var items: [Message]
            if let after {
                items = try await MessageStore.after(after, in: roomID, limit: limit, on: sql).filter { before == nil || $0.seq < before! }
            } else {
                items = try await MessageStore.before(before, in: roomID, limit: limit, on: sql).reversed()
            }
            let reactions = try await MessageStore.reactions(on: items.map(\.id), on: sql)
            for index in items.indices where !(reactions[items[index].id]?.isEmpty ?? true) {
                items[index].reactions = reactions[items[index].id]
            }
            // Numbers have no gaps (a deletion leaves a tombstone): older ones exist below the first.
            let older = items.first.map(\.seq).flatMap { $0 > 1 ? String($0) : nil }
            return Page(items: items, nextCursor: older)
        }
    }

    /// Changes the text of one's own message, keeping the earlier text as a version.
    func edit(_ messageID: String, in roomID: String, text: String, by principal: Principal) async throws -> Message {
        let text = try validText(text)
        return try await platform.transaction { transaction in
            let sql = transaction.sql
            _ = try await membership(roomID, of: principal, on: sql)
            guard var message = try await MessageStore.find(id: messageID, in: roomID, on: sql) else { throw Problem.notFound("No message \(messageID).") }
            guard message.senderId == principal.userID else { throw Problem.forbidden("Only its sender edits a message.") }
            guard message.deletedAt == nil else { throw Problem.conflict("The message was deleted.") }
            let now = transaction.now()
            try await MessageStore.edit(message, text: text, at: now, on: sql)
            message.text = text
            message.editedAt = now
            let frame = ServerFrame.text(ServerFrame.Edited(room: roomID, message: message))
            try ChatFeed.publish(ChatFeed(kind: .update, room: roomID, frame: frame, id: message.id), in: transaction)
            return message
        }
    }

    /// Deletes a message (its sender, or a moderator), leaving a tombstone in history.
    func delete(_ messageID: String, in roomID: String, by principal: Principal) async throws {
        try await platform.transaction { transaction in
            let sql = transaction.sql
            let (_, role) = try await membership(roomID, of: principal, on: sql)
            guard let message = try await MessageStore.find(id: messageID, in: roomID, on: sql) else { throw Problem.notFound("No message \(messageID).") }
            guard message.senderId == principal.userID || role.moderates else { throw Problem.forbidden("Only its sender or a moderator deletes a message.") }
            guard message.deletedAt == nil else { return }
            try await MessageStore.delete(message, at: transaction.now(), on: sql)
            let frame = ServerFrame.text(ServerFrame.Deleted(room: roomID, id: messageID, seq: message.seq))
            try ChatFeed.publish(ChatFeed(kind: .update, room: roomID, frame: frame), in: transaction)
        }
    }

    /// Sets, changes or (the same emoji again) takes back the caller's reaction to a message.
    func react(to messageID: String, in roomID: String, emoji: String, by principal: Principal) async throws -> String? {
        // Usually one emoji; like Matrix, any short key is allowed (a custom ":party:").
        guard !emoji.isEmpty, emoji.unicodeScalars.count <= 16, emoji.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw Problem.unprocessable("emoji is 1 to 16 characters without spaces.", errors: [.init(field: "emoji", message: "is 1 to 16 characters without spaces")])
        }
        return try await platform.transaction { transaction in
            let sql = transaction.sql
            _ = try await membership(roomID, of: principal, on: sql)
            guard let message = try await MessageStore.find(id: messageID, in: roomID, on: sql), message.deletedAt == nil else {
                throw Problem.notFound("No message \(messageID).")
            }
            let held = try await MessageStore.toggleReaction(messageID, user: principal.userID, emoji: emoji, at: transaction.now(), on: sql)
            let frame = ServerFrame.text(ServerFrame.Reaction(room: roomID, id: messageID, userId: principal.userID, emoji: held))
            try ChatFeed.publish(ChatFeed(kind: .update, room: roomID, frame: frame), in: transaction)
            return held
        }
    }

    /// Moves the caller's read mark to `seq` (never back, never past the newest message) and
    /// tells the room.
    func markRead(_ roomID: String, seq: Int64, by principal: Principal) async throws -> Int64 {
        guard seq >= 0 else { throw Problem.unprocessable("seq is a message number.", errors: [.init(field: "seq", message: "is at least 0")]) }
        return try await platform.transaction { transaction in
            let sql = transaction.sql
            let (room, _) = try await membership(roomID, of: principal, on: sql)
            guard let mark = try await RoomStore.markRead(roomID, principal.userID, seq: min(seq, room.seq), on: sql) else {
                throw Problem.forbidden("Join the room first.")
            }
            let frame = ServerFrame.text(ServerFrame.Receipt(room: roomID, userId: principal.userID, seq: mark))
            try ChatFeed.publish(ChatFeed(kind: .update, room: roomID, frame: frame), in: transaction)
            return mark
        }
    }

    /// Tells the room the caller is typing; never stored.
    func typing(in roomID: String, by principal: Principal) async throws {
        _ = try await platform.read.primary { sql in try await membership(roomID, of: principal, on: sql) }
        let frame = ServerFrame.text(ServerFrame.Typing(room: roomID, userId: principal.userID))
        try await platform.bus.publish(ChatFeed.channel, ChatFeed(kind: .update, room: roomID, frame: frame).encoded)
    }

    /// Earlier texts of a message: its sender and moderators see them.
    func versions(of messageID: String, in roomID: String, for principal: Principal) async throws -> [MessageVersion] {
        try await platform.read.primary { sql in
            let (_, role) = try await membership(roomID, of: principal, on: sql)
            guard let message = try await MessageStore.find(id: messageID, in: roomID, on: sql) else { throw Problem.notFound("No message \(messageID).") }
            guard message.senderId == principal.userID || role.moderates else { throw Problem.forbidden("Only its sender or a moderator sees earlier versions.") }
            return try await MessageStore.versions(of: messageID, on: sql)
        }
    }
}
