/// The bus of a single node (SQLite mode): delivery inside the process.
public actor LocalBus: ClusterBus {
    private var subscribers: [String: [Int: AsyncStream<ClusterMessage>.Continuation]] = [:]
    private var nextID = 0

    public init() {}

    public func publish(_ channel: String, _ payload: String) {
        for continuation in subscribers[channel, default: [:]].values {
            continuation.yield(.message(payload))
        }
    }

    public func subscribe(_ channel: String) -> AsyncStream<ClusterMessage> {
        let (stream, continuation) = AsyncStream.makeStream(of: ClusterMessage.self, bufferingPolicy: .bufferingNewest(1024))
        let id = nextID
        nextID += 1
        subscribers[channel, default: [:]][id] = continuation
        continuation.onTermination = { _ in
            Task { await self.remove(channel: channel, id: id) }
        }
        return stream
    }

    private func remove(channel: String, id: Int) {
        subscribers[channel]?[id] = nil
    }
}
