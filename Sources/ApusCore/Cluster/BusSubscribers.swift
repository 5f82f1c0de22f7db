import Prometheus

/// The local subscribers of a bus, by channel: what both bus kinds keep to hand messages out.
/// Owned by an actor; not safe on its own.
///
/// Each subscriber's stream keeps the newest ``bufferSize`` messages. One that falls further
/// behind loses the oldest, and is told so: a ``ClusterMessage/resynchronize`` follows the
/// loss, as after a reconnect, and the loss is counted (`apus_bus_messages_dropped_total`).
struct BusSubscribers {
    /// How many messages a subscriber may fall behind before it loses the oldest.
    static let bufferSize = 1_024

    private var continuations: [String: [Int: AsyncStream<ClusterMessage>.Continuation]] = [:]
    private var nextID = 0
    private let drops: Counter?

    init(drops: Counter? = nil) {
        self.drops = drops
    }

    /// The channels with at least one subscriber.
    var channels: some Collection<String> { continuations.keys }

    /// Whether no channel has a subscriber.
    var isEmpty: Bool { continuations.isEmpty }

    /// Adds a subscriber to `channel`; `onEnd` is called with its id when its stream ends.
    mutating func add(_ channel: String, onEnd: @escaping @Sendable (Int) -> Void) -> AsyncStream<ClusterMessage> {
        let (stream, continuation) = AsyncStream.makeStream(of: ClusterMessage.self, bufferingPolicy: .bufferingNewest(Self.bufferSize))
        let id = nextID
        nextID += 1
        continuations[channel, default: [:]][id] = continuation
        continuation.onTermination = { _ in onEnd(id) }
        return stream
    }

    /// Removes a subscriber; returns whether `channel` has any left.
    @discardableResult
    mutating func remove(_ channel: String, id: Int) -> Bool {
        continuations[channel]?[id] = nil
        if continuations[channel]?.isEmpty ?? true {
            continuations[channel] = nil
            return false
        }
        return true
    }

    func deliver(_ message: ClusterMessage, on channel: String) {
        for continuation in continuations[channel, default: [:]].values {
            guard case .dropped = continuation.yield(message) else { continue }
            drops?.increment()
            // The oldest went: a resynchronize after everything still queued covers it. (One
            // that itself pushed a message out is already last.)
            if message != .resynchronize, case .dropped = continuation.yield(.resynchronize) { drops?.increment() }
        }
    }
}
