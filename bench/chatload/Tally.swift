import Synchronization

/// One delivery: which step's message, when it was sent and when this socket received it.
struct Delivery: Sendable {
    var step: UInt16
    var sent: UInt64
    var received: UInt64
}

/// Deliveries recorded by every socket, in shards so that sockets on different threads rarely
/// wait for one another, and the counters a run reads while it waits.
final class Tally: Sendable {
    private final class Shard: Sendable {
        let deliveries = Mutex<[Delivery]>([])
    }

    private let shards: [Shard] = (0..<64).map { _ in Shard() }
    let delivered = Atomic<Int>(0)
    let sent = Atomic<Int>(0)
    let ready = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
    let closes = Mutex<[String: Int]>([:])
    /// Send-to-acknowledgement times of the senders' own messages (the server stored them).
    private let acks = Mutex<[Delivery]>([])

    func acknowledged(_ delivery: Delivery) { acks.withLock { $0.append(delivery) } }

    /// Removes and returns the acknowledgements of `step` and of any step before it.
    func takeAcks(step: UInt16) -> [Delivery] {
        acks.withLock { acks in
            let mine = acks.filter { $0.step == step }
            acks.removeAll { $0.step <= step }
            return mine
        }
    }

    func record(_ delivery: Delivery, socket: Int) {
        shards[socket % shards.count].deliveries.withLock { $0.append(delivery) }
        delivered.add(1, ordering: .relaxed)
    }

    func closed(_ reason: String) {
        closes.withLock { $0[reason, default: 0] += 1 }
    }

    /// Removes and returns the deliveries of `step` and of any step before it.
    func take(step: UInt16) -> [Delivery] {
        var all: [Delivery] = []
        for shard in shards {
            shard.deliveries.withLock { deliveries in
                all.append(contentsOf: deliveries.lazy.filter { $0.step == step })
                deliveries.removeAll { $0.step <= step }
            }
        }
        return all
    }
}
