public import Prometheus

/// The bus of a single node (SQLite mode): delivery inside the process.
public actor LocalBus: ClusterBus {
    private var subscribers: BusSubscribers

    /// A bus counting what slow subscribers lose in `drops`.
    public init(drops: Counter? = nil) {
        subscribers = BusSubscribers(drops: drops)
    }

    public func publish(_ channel: String, _ payload: String) throws {
        try BusPayloadTooLarge.check(payload, on: channel)
        subscribers.deliver(.message(payload), on: channel)
    }

    public func subscribe(_ channel: String) -> AsyncStream<ClusterMessage> {
        subscribers.add(channel) { id in
            Task { await self.remove(channel: channel, id: id) }
        }
    }

    private func remove(channel: String, id: Int) {
        subscribers.remove(channel, id: id)
    }
}
