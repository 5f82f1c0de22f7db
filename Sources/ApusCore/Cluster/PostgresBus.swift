import Logging
import PostgresNIO

/// The bus across nodes sharing PostgreSQL: `LISTEN`/`NOTIFY` on one dedicated connection per
/// node, reconnecting after a drop and telling subscribers to resynchronise.
public actor PostgresBus: ClusterBus {
    private let configuration: PostgresConnection.Configuration
    private let publisher: any Database
    private let logger: Logger
    private var subscribers: [String: [Int: AsyncStream<ClusterMessage>.Continuation]] = [:]
    private var listeners: [String: Task<Void, Never>] = [:]
    private var nextID = 0

    init(configuration: PostgresConnection.Configuration, publisher: any Database, logger: Logger) {
        self.configuration = configuration
        self.publisher = publisher
        self.logger = logger
    }

    public func publish(_ channel: String, _ payload: String) async throws {
        try await publisher.write { connection in
            try await connection.raw("SELECT pg_notify(\(bind: Self.channelName(channel)), \(bind: payload))").run()
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
        if listeners[channel] == nil {
            listeners[channel] = Task { await self.listen(channel) }
        }
        return stream
    }

    /// Stops every listener.
    public func shutdown() {
        for task in listeners.values { task.cancel() }
        listeners.removeAll()
        for continuations in subscribers.values {
            for continuation in continuations.values { continuation.finish() }
        }
        subscribers.removeAll()
    }

    private func deliver(_ message: ClusterMessage, channel: String) {
        for continuation in subscribers[channel, default: [:]].values {
            continuation.yield(message)
        }
    }

    private func remove(channel: String, id: Int) {
        subscribers[channel]?[id] = nil
    }

    private func listen(_ channel: String) async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    on: PostgresClient.defaultEventLoopGroup.any(), configuration: configuration, id: 1, logger: logger
                ).get()
                attempt = 0
                // Anything sent while we were away is lost: say so.
                deliver(.resynchronize, channel: channel)
                do {
                    try await connection.listen(on: Self.channelName(channel)) { notifications in
                        for try await notification in notifications {
                            self.deliver(.message(notification.payload), channel: channel)
                        }
                    }
                } catch {
                    if !Task.isCancelled { logger.warning("bus listener lost its connection", metadata: ["channel": "\(channel)"]) }
                }
                try? await connection.close()
            } catch {
                attempt += 1
                logger.warning("bus listener cannot connect", metadata: ["channel": "\(channel)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: .milliseconds(min(5000, 100 * (1 << min(attempt, 6)))))
            }
        }
    }

    static func channelName(_ channel: String) -> String { "apus_" + channel }
}
