import Prometheus

/// The local subscribers of a bus, by channel: what both bus kinds keep to hand messages out.
/// Owned by an actor; not safe on its own.
///
/// Each subscriber's stream keeps the newest ``bufferSize`` messages. One that falls further
/// behind loses the oldest, and is told so: a ``ClusterMessage/resynchronize`` follows the
/// loss, as after a reconnect, and the loss is counted (`apus_bus_messages_dropped_total`).
/// One resynchronize covers every loss before it, so another is sent only once it has left the
/// queue: its place is followed through the queue lengths that each `yield` reports.
struct BusSubscribers {
    /// One subscriber's stream, with what is known of its queue.
    private struct Subscriber {
        let continuation: AsyncStream<ClusterMessage>.Continuation
        /// How many messages its queue held after the last `yield`.
        var queued = 0
        /// The place (1 = next to be read) of the last resynchronize still queued, if any.
        var resynchronizeAt: Int?

        /// Yields `message`; `true` when the oldest queued message was dropped for it.
        mutating func yield(_ message: ClusterMessage) -> Bool {
            switch continuation.yield(message) {
            case .enqueued(let remaining):
                let now = BusSubscribers.bufferSize - remaining
                advance(by: max(0, queued + 1 - now))
                queued = now
                if message == .resynchronize { resynchronizeAt = now }
                return false
            case .dropped:
                // The queue was full and stays full; its first message went.
                advance(by: 1)
                queued = BusSubscribers.bufferSize
                if message == .resynchronize { resynchronizeAt = queued }
                return true
            case .terminated:
                return false
            @unknown default:
                return false
            }
        }

        /// `count` messages left the front of the queue.
        private mutating func advance(by count: Int) {
            guard let place = resynchronizeAt else { return }
            resynchronizeAt = place - count > 0 ? place - count : nil
        }
    }

    /// How many messages a subscriber may fall behind before it loses the oldest.
    static let bufferSize = 1_024

    private var subscribers: [String: [Int: Subscriber]] = [:]
    private var nextID = 0
    private let drops: Counter?

    init(drops: Counter? = nil) {
        self.drops = drops
    }

    /// The channels with at least one subscriber.
    var channels: some Collection<String> { subscribers.keys }

    /// Whether no channel has a subscriber.
    var isEmpty: Bool { subscribers.isEmpty }

    /// Adds a subscriber to `channel`; `onEnd` is called with its id when its stream ends.
    mutating func add(_ channel: String, onEnd: @escaping @Sendable (Int) -> Void) -> AsyncStream<ClusterMessage> {
        let (stream, continuation) = AsyncStream.makeStream(of: ClusterMessage.self, bufferingPolicy: .bufferingNewest(Self.bufferSize))
        let id = nextID
        nextID += 1
        subscribers[channel, default: [:]][id] = Subscriber(continuation: continuation)
        continuation.onTermination = { _ in onEnd(id) }
        return stream
    }

    /// Removes a subscriber; returns whether `channel` has any left.
    @discardableResult
    mutating func remove(_ channel: String, id: Int) -> Bool {
        subscribers[channel]?[id] = nil
        if subscribers[channel]?.isEmpty ?? true {
            subscribers[channel] = nil
            return false
        }
        return true
    }

    mutating func deliver(_ message: ClusterMessage, on channel: String) {
        guard var channelSubscribers = subscribers[channel] else { return }
        for (id, var subscriber) in channelSubscribers {
            if subscriber.yield(message) {
                drops?.increment()
                // The oldest went: a resynchronize after everything still queued covers it,
                // unless one is queued already.
                if subscriber.resynchronizeAt == nil, subscriber.yield(.resynchronize) { drops?.increment() }
            }
            channelSubscribers[id] = subscriber
        }
        subscribers[channel] = channelSubscribers
    }
}
