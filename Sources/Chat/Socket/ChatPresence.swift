import ApusCore
import Foundation
import Logging
import ServiceLifecycle

/// Who is in each room, across nodes. A user is present in a room while one of their sockets
/// is subscribed to it on some node: the node writes a row when the first such socket
/// subscribes and removes it when the last goes, and refreshes its rows every heartbeat. Rows
/// live three heartbeats, so a node that dies drops its users within that bound, when any
/// other node's heartbeat sweeps the rows and tells the rooms.
struct ChatPresence: Service {
    let platform: Platform
    /// Seconds between heartbeats (`APUS_CHAT_PRESENCE_HEARTBEAT`).
    let heartbeat: Double
    let logger: Logger

    /// How long a node's rows outlive its last heartbeat.
    var lifetime: Double { heartbeat * 3 }

    /// The first socket of `user` on this node subscribed to `room`.
    func entered(_ room: String, _ user: String) async {
        do {
            try await platform.transaction { transaction in
                let now = transaction.now()
                let already = try await PresenceStore.isPresent(room: room, user: user, at: now, on: transaction.sql)
                try await PresenceStore.enter(room: room, user: user, node: platform.node, until: now.addingTimeInterval(lifetime), on: transaction.sql)
                if !already { try Self.announce(room, user, online: true, in: transaction) }
            }
        } catch {
            logger.error("cannot record presence", metadata: ["room": "\(room)", "error": "\(error)"])
        }
    }

    /// The last socket of `user` on this node left `room`.
    func left(_ room: String, _ user: String) async {
        do {
            try await platform.transaction { transaction in
                try await PresenceStore.leave(room: room, user: user, node: platform.node, on: transaction.sql)
                if try await !PresenceStore.isPresent(room: room, user: user, at: transaction.now(), on: transaction.sql) {
                    try Self.announce(room, user, online: false, in: transaction)
                }
            }
        } catch {
            logger.error("cannot record presence", metadata: ["room": "\(room)", "error": "\(error)"])
        }
    }

    static func announce(_ room: String, _ user: String, online: Bool, in transaction: Transaction) throws {
        let frame = ServerFrame.text(ServerFrame.Presence(room: room, userId: user, online: online))
        try ChatFeed.publish(ChatFeed(kind: .update, room: room, frame: frame), in: transaction)
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                // A stopping node does not wait out a heartbeat.
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(heartbeat)) }
            } catch {
                return
            }
            do {
                try await beat()
            } catch {
                logger.error("presence heartbeat failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Refreshes this node's rows and sweeps the rows of nodes that stopped beating.
    func beat() async throws {
        try await platform.transaction { transaction in
            let now = transaction.now()
            try await PresenceStore.refresh(node: platform.node, until: now.addingTimeInterval(lifetime), on: transaction.sql)
            var gone = Set<String>()
            for (room, user) in try await PresenceStore.sweep(at: now, on: transaction.sql) where gone.insert("\(room) \(user)").inserted {
                if try await !PresenceStore.isPresent(room: room, user: user, at: now, on: transaction.sql) {
                    try Self.announce(room, user, online: false, in: transaction)
                }
            }
        }
    }
}
