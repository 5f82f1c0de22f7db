import ApusCore
import Foundation

/// The rooms this node's sockets subscribe to, and what each socket has been sent. Messages
/// reach a socket in number order, each once: a subscriber keeps the number of the newest
/// message it was sent (`mark`), and a number that skips one means a note was lost, which the
/// follower fills from the database before going on.
actor ChatHub {
    struct Subscriber {
        let peer: ChatPeer
        let user: String
        /// The newest message number this socket was sent in the room.
        var mark: Int64
        /// While the subscription is recovering: what arrived live meanwhile, sent after.
        var pending: [(seq: Int64?, frame: String)]?
    }

    private var rooms: [String: [Int: Subscriber]] = [:]
    private var typing: [String: Date] = [:]

    /// Subscribes `socket` to `room`, collecting what arrives until ``recovered``. Returns
    /// whether it is the user's first socket in the room on this node.
    @discardableResult
    func attach(_ peer: ChatPeer, user: String, room: String) -> Bool {
        let first = !(rooms[room]?.values.contains { $0.user == user && $0.peer.id != peer.id } ?? false)
        rooms[room, default: [:]][peer.id] = Subscriber(peer: peer, user: user, mark: 0, pending: [])
        return first
    }

    /// Ends one subscription. Returns the user when it was their last socket in the room here.
    @discardableResult
    func detach(_ peer: ChatPeer, room: String) -> String? {
        guard let removed = rooms[room]?.removeValue(forKey: peer.id) else { return nil }
        let others = rooms[room]?.values.contains { $0.user == removed.user } ?? false
        if rooms[room]?.isEmpty == true { rooms[room] = nil }
        return others ? nil : removed.user
    }

    /// Ends every subscription of a socket that closed: the rooms where it was its user's last.
    func detachAll(_ peer: ChatPeer) -> [(room: String, user: String)] {
        Array(rooms.keys).compactMap { room in detach(peer, room: room).map { (room, $0) } }
    }

    /// Whether `socket` is subscribed to `room`.
    func isSubscribed(_ peer: ChatPeer, room: String) -> Bool {
        rooms[room]?[peer.id] != nil
    }

    /// Ends the recovery of `socket`'s subscription: everything up to `sentUpTo` was sent from
    /// storage. Sends `ack`, then what arrived meanwhile, in order. Returns the numbers missing
    /// before the next collected message (a lost note), for the caller to read and ``fill``.
    func recovered(_ peer: ChatPeer, room: String, sentUpTo: Int64, ack: String?) -> ClosedRange<Int64>? {
        guard var subscriber = rooms[room]?[peer.id] else { return nil }
        subscriber.mark = sentUpTo
        if let ack { peer.socket.send(ack) }
        rooms[room]?[peer.id] = subscriber
        return flush(peer, room: room)
    }

    /// Messages read from storage for a recovering subscriber's hole, sent in order with what
    /// it collected.
    func fill(_ peer: ChatPeer, room: String, messages: [(seq: Int64, frame: String)]) -> ClosedRange<Int64>? {
        guard rooms[room]?[peer.id]?.pending != nil else { return nil }
        rooms[room]?[peer.id]?.pending?.append(contentsOf: messages.map { (seq: Optional($0.seq), frame: $0.frame) })
        return flush(peer, room: room)
    }

    private func flush(_ peer: ChatPeer, room: String) -> ClosedRange<Int64>? {
        guard var subscriber = rooms[room]?[peer.id], let pending = subscriber.pending else { return nil }
        // Updates (no number) keep their place after the messages before them.
        let ordered = pending.enumerated().sorted { a, b in
            switch (a.element.seq, b.element.seq) {
            case (let x?, let y?): x < y
            default: a.offset < b.offset
            }
        }.map(\.element)
        var left: [(seq: Int64?, frame: String)] = []
        var hole: ClosedRange<Int64>?
        for item in ordered {
            if hole != nil {
                left.append(item)
                continue
            }
            guard let seq = item.seq else {
                peer.send(item.frame)
                continue
            }
            if seq <= subscriber.mark { continue }
            if seq > subscriber.mark + 1 {
                hole = (subscriber.mark + 1)...(seq - 1)
                left.append(item)
                continue
            }
            peer.send(item.frame)
            subscriber.mark = seq
        }
        subscriber.pending = hole == nil ? nil : left
        rooms[room]?[peer.id] = subscriber
        return hole
    }

    /// The numbers some live subscriber of `room` has not been sent before `seq`.
    func missing(in room: String, before seq: Int64) -> ClosedRange<Int64>? {
        guard let subscribers = rooms[room]?.values.filter({ $0.pending == nil }), let lowest = subscribers.map(\.mark).min() else { return nil }
        return lowest + 1 < seq ? (lowest + 1)...(seq - 1) : nil
    }

    /// Rooms with subscribers, and the lowest mark among each one's live subscribers.
    func marks() -> [(room: String, mark: Int64)] {
        rooms.compactMap { room, subscribers in
            subscribers.values.filter { $0.pending == nil }.map(\.mark).min().map { (room, $0) }
        }
    }

    /// Sends message `seq` to every subscriber of `room` that has not had it.
    func deliver(room: String, seq: Int64, frame: String) {
        guard var subscribers = rooms.removeValue(forKey: room) else { return }
        // The room's table is taken out while it changes, so marking one subscriber does not
        // copy the others.
        let outgoing = ChatPeer.Outgoing(frame)
        for (id, subscriber) in subscribers {
            if subscriber.pending != nil {
                subscribers[id]?.pending?.append((seq, frame))
            } else if seq > subscriber.mark {
                if subscriber.peer.send(outgoing) { subscribers[id]?.mark = seq } else { subscribers[id] = nil }
            }
        }
        if !subscribers.isEmpty { rooms[room] = subscribers }
    }

    /// Sends an update to every subscriber of `room`.
    func broadcast(room: String, frame: String) {
        guard var subscribers = rooms.removeValue(forKey: room) else { return }
        let outgoing = ChatPeer.Outgoing(frame)
        for (id, subscriber) in subscribers {
            if subscriber.pending != nil {
                subscribers[id]?.pending?.append((nil, frame))
            } else if !subscriber.peer.send(outgoing) {
                subscribers[id] = nil
            }
        }
        if !subscribers.isEmpty { rooms[room] = subscribers }
    }

    /// Ends `user`'s subscriptions to `room` (they left or were removed); whether they had any.
    @discardableResult
    func remove(user: String, from room: String) -> Bool {
        guard let subscribers = rooms[room], subscribers.values.contains(where: { $0.user == user }) else { return false }
        for (id, subscriber) in subscribers where subscriber.user == user {
            rooms[room]?[id] = nil
            subscriber.peer.send(ServerFrame.text(ServerFrame.Unsubscribed(room: room, reason: "removed")))
        }
        if rooms[room]?.isEmpty == true { rooms[room] = nil }
        return true
    }

    /// Ends every subscription to a deleted room.
    func close(room: String) {
        for subscriber in rooms.removeValue(forKey: room)?.values ?? [:].values {
            subscriber.peer.send(ServerFrame.text(ServerFrame.Unsubscribed(room: room, reason: "deleted")))
        }
    }

    /// Whether a typing notice of `user` in `room` goes out now: one per `interval`.
    func mayAnnounceTyping(user: String, room: String, now: Date, interval: Double) -> Bool {
        let key = "\(room) \(user)"
        if let last = typing[key], now.timeIntervalSince(last) < interval { return false }
        if typing.count > 100_000 { typing.removeAll() }
        typing[key] = now
        return true
    }
}
