import ApusKit
import Logging
import PostgresNIO
import Prometheus

/// The bus across nodes sharing PostgreSQL: `pg_notify` through the pool to publish, and one
/// dedicated connection per node that `LISTEN`s on every subscribed channel.
///
/// When that connection drops the bus reconnects with jittered exponential backoff, listens on
/// every channel again and tells every subscriber to resynchronise. A channel's subscribers also
/// hear ``ClusterMessage/resynchronize`` when its first `LISTEN` is in place, since anything sent
/// between `subscribe` and then is lost.
public actor PostgresBus: ClusterBus {
    /// The `application_name` of the listening connection, to find it in `pg_stat_activity`.
    static let applicationName = "apus-bus"

    private let configuration: PostgresConnection.Configuration
    private let publisher: any Database
    private let logger: Logger
    private let backoff = ExponentialBackoff(base: 0.1, cap: 5)
    private var subscribers: BusSubscribers
    /// Connects, listens and reconnects while the bus has subscribers.
    private var link: Task<Void, Never>?
    /// The listening connection while it is up.
    private var connection: PostgresConnection?
    /// One task per channel, following that channel's notifications on `connection`.
    private var listens: [String: Task<Void, Never>] = [:]

    init(configuration: PostgresConnection.Configuration, publisher: any Database, logger: Logger, drops: Counter? = nil) {
        self.subscribers = BusSubscribers(drops: drops)
        var configuration = configuration
        configuration.options.additionalStartupParameters.append(("application_name", Self.applicationName))
        self.configuration = configuration
        self.publisher = publisher
        self.logger = logger
    }

    public func publish(_ channel: String, _ payload: String) async throws {
        try BusPayloadTooLarge.check(payload, on: channel)
        try await publisher.write { connection in
            try await connection.raw("SELECT pg_notify(\(bind: Self.channelName(channel)), \(bind: payload))").run()
        }
    }

    public func subscribe(_ channel: String) -> AsyncStream<ClusterMessage> {
        let stream = subscribers.add(channel) { id in
            Task { await self.remove(channel: channel, id: id) }
        }
        if link == nil {
            link = Task { await self.maintainLink() }
        } else if let connection, listens[channel] == nil {
            listens[channel] = listen(channel, on: connection)
        }
        return stream
    }

    private func deliver(_ message: ClusterMessage, channel: String) {
        subscribers.deliver(message, on: channel)
    }

    private func remove(channel: String, id: Int) {
        guard !subscribers.remove(channel, id: id) else { return }
        // Nobody left on the channel: stop following it (PostgresNIO then sends UNLISTEN).
        listens.removeValue(forKey: channel)?.cancel()
        if subscribers.isEmpty {
            link?.cancel()
            link = nil
            if let connection { Task { try? await connection.close() } }
            connection = nil
        }
    }

    /// Keeps one listening connection up until cancelled. Runs on the actor, so it sees
    /// subscriptions in order; a cancelled run has been replaced and touches no state.
    private func maintainLink() async {
        var failures = 0
        while !Task.isCancelled {
            if failures > 0 {
                do { try await Task.sleep(for: .seconds(backoff.delay(attempt: failures))) } catch { return }
            }
            let connection: PostgresConnection
            do {
                connection = try await PostgresConnection.connect(
                    on: PostgresClient.defaultEventLoopGroup.any(), configuration: configuration, id: 1, logger: logger
                ).get()
            } catch {
                failures += 1
                logger.warning("bus listener cannot connect", metadata: ["attempt": "\(failures)", "error": "\(error)"])
                continue
            }
            guard !Task.isCancelled else {
                try? await connection.close()
                return
            }
            if failures > 0 {
                logger.info("bus listener reconnected", metadata: ["channels": "\(subscribers.channels.count)"])
            }
            self.connection = connection
            for channel in subscribers.channels {
                listens[channel] = listen(channel, on: connection)
            }
            let connected = ContinuousClock.now
            try? await connection.closeFuture.get()
            guard !Task.isCancelled else { return }
            // Every LISTEN went with the connection; the next one listens afresh.
            self.connection = nil
            listens.values.forEach { $0.cancel() }
            listens = [:]
            logger.warning("bus listener lost its connection", metadata: ["channels": "\(subscribers.channels.count)"])
            // A connection that stayed up a while was healthy: the backoff starts over.
            failures = ContinuousClock.now - connected > .seconds(backoff.cap) ? 1 : failures + 1
        }
    }

    private func listen(_ channel: String, on connection: PostgresConnection) -> Task<Void, Never> {
        Task { await self.follow(channel, on: connection) }
    }

    /// Hands `channel`'s notifications to its subscribers until cancelled or the connection fails.
    private nonisolated func follow(_ channel: String, on connection: PostgresConnection) async {
        do {
            try await connection.listen(on: Self.channelName(channel)) { notifications in
                // The LISTEN is in place: anything sent before it is lost, say so.
                await self.deliver(.resynchronize, channel: channel)
                for try await notification in notifications {
                    await self.deliver(.message(notification.payload), channel: channel)
                }
            }
        } catch {}
        // Ended uncancelled: the connection failed, or this LISTEN did. A fresh connection
        // recovers from both, so drop this one.
        if !Task.isCancelled { try? await connection.close() }
    }

    static func channelName(_ channel: String) -> String { "apus_" + channel }
}
