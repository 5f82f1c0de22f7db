import ApusCore
import Foundation
import Logging
import ServiceLifecycle

/// Hands what the bus says about rooms to this node's subscribers, one note at a time, so a
/// room's messages go out in order. Fills any hole from the database first: the bus is how
/// messages travel fast, the database is what they are.
struct ChatFollower: Service {
    let hub: ChatHub
    let presence: ChatPresence
    let platform: Platform
    let logger: Logger

    func run() async throws {
        for await message in await platform.bus.subscribe(ChatFeed.channel).cancelOnGracefulShutdown() {
            do {
                switch message {
                case .message(let text):
                    guard let note = ChatFeed.decode(text) else { continue }
                    try await follow(note)
                case .resynchronize:
                    // Notes may have been lost: send every subscriber what it has not had.
                    for (room, mark) in await hub.marks() {
                        try await deliverStored(room: room, after: mark)
                    }
                }
            } catch {
                logger.error("cannot deliver a chat note", metadata: ["error": "\(error)"])
            }
        }
    }

    private func follow(_ note: ChatFeed) async throws {
        switch note.kind {
        case .message:
            guard let seq = note.seq else { return }
            if let hole = await hub.missing(in: note.room, before: seq) {
                for message in try await stored(room: note.room, hole) {
                    await hub.deliver(room: note.room, seq: message.seq, frame: Self.frame(message))
                }
            }
            if let frame = note.frame {
                await hub.deliver(room: note.room, seq: seq, frame: frame)
            } else {
                for message in try await stored(room: note.room, seq...seq) {
                    await hub.deliver(room: note.room, seq: seq, frame: Self.frame(message))
                }
            }
        case .update:
            if let frame = note.frame {
                await hub.broadcast(room: note.room, frame: frame)
            } else if let id = note.id, let message = try await platform.read({ sql in try await MessageStore.find(id: id, in: note.room, on: sql) }) {
                await hub.broadcast(room: note.room, frame: ServerFrame.text(ServerFrame.Edited(room: note.room, message: message)))
            }
        case .removed:
            if let user = note.user, await hub.remove(user: user, from: note.room) { await presence.left(note.room, user) }
        case .closed:
            await hub.close(room: note.room)
        }
    }

    private func deliverStored(room: String, after mark: Int64) async throws {
        var after = mark
        while true {
            let from = after
            let page = try await platform.read { sql in try await MessageStore.after(from, in: room, limit: 500, on: sql) }
            for message in page { await hub.deliver(room: room, seq: message.seq, frame: Self.frame(message)) }
            guard page.count == 500, let last = page.last else { return }
            after = last.seq
        }
    }

    private func stored(room: String, _ range: ClosedRange<Int64>) async throws -> [Message] {
        try await platform.read { sql in try await MessageStore.range(range, in: room, on: sql) }
    }

    static func frame(_ message: Message) -> String {
        ServerFrame.text(ServerFrame.MessageFrame(room: message.roomId, message: message))
    }
}
