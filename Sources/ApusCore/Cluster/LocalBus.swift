/// The bus of a single node (SQLite mode): delivery inside the process.
public actor LocalBus: ClusterBus {
    private var subscribers = BusSubscribers()

    public init() {}

    public func publish(_ channel: String, _ payload: String) {
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
