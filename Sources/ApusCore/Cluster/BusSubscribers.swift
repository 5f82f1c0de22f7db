/// The local subscribers of a bus, by channel: what both bus kinds keep to hand messages out.
/// Owned by an actor; not safe on its own.
struct BusSubscribers {
    private var continuations: [String: [Int: AsyncStream<ClusterMessage>.Continuation]] = [:]
    private var nextID = 0

    /// The channels with at least one subscriber.
    var channels: some Collection<String> { continuations.keys }

    /// Whether no channel has a subscriber.
    var isEmpty: Bool { continuations.isEmpty }

    /// Adds a subscriber to `channel`; `onEnd` is called with its id when its stream ends.
    mutating func add(_ channel: String, onEnd: @escaping @Sendable (Int) -> Void) -> AsyncStream<ClusterMessage> {
        let (stream, continuation) = AsyncStream.makeStream(of: ClusterMessage.self, bufferingPolicy: .bufferingNewest(1024))
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
            continuation.yield(message)
        }
    }
}
