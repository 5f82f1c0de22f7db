import Logging
import PostgresNIO

/// The bus across nodes sharing PostgreSQL: `LISTEN`/`NOTIFY` on one dedicated connection per
/// node, reconnecting after a drop and telling subscribers to resynchronise.
public actor PostgresBus: ClusterBus {
    private let configuration: PostgresConnection.Configuration
    private let publisher: any Database
    private let logger: Logger
    private var subscribers = BusSubscribers()
    private var listeners: [String: Task<Void, Never>] = [:]

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
        let stream = subscribers.add(channel) { id in
            Task { await self.remove(channel: channel, id: id) }
        }
        if listeners[channel] == nil {
            listeners[channel] = Task { await self.listen(channel) }
        }
        return stream
    }

    private func deliver(_ message: ClusterMessage, channel: String) {
        subscribers.deliver(message, on: channel)
    }

    private func remove(channel: String, id: Int) {
        // The last subscriber gone, the channel's LISTEN connection goes too.
        if !subscribers.remove(channel, id: id) {
            listeners.removeValue(forKey: channel)?.cancel()
        }
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
