import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Measures the event pipeline on the configured database, as `apus events bench` runs it:
/// events are committed in transactions of 100 while one node's dispatcher delivers them to
/// `consumers` no-op consumers; the clock runs from the first commit until every consumer has
/// handled every event.
public enum EventBenchmark {
    /// What one run measured.
    public struct Result: Sendable {
        public let events: Int
        public let consumers: Int
        public let seconds: Double
        /// Events per second from commit to every consumer.
        public var eventsPerSecond: Double { Double(events) / seconds }
        /// Deliveries (event × consumer) per second.
        public var deliveriesPerSecond: Double { Double(events * consumers) / seconds }
    }

    static let type = "apus.bench.event"
    static let consumerPrefix = "apus.bench.events."

    /// Runs `events` events through `platform`'s outbox (migrated beforehand) to `consumers`
    /// consumers, then removes what it wrote.
    public static func run(platform: Platform, events: Int, consumers: Int) async throws -> Result {
        let database = platform.database
        platform.eventTypes.declare([EventDeclaration(type, summary: "An event of the events benchmark.", payload: ["type": "object"])])
        try await clean(database)
        let handled = (0..<consumers).map { _ in Tally() }
        let list = handled.enumerated().map { index, tally in
            EventConsumer(name: "\(consumerPrefix)\(index)", typePrefixes: [type]) { _, _ in tally.count.add(1, ordering: .relaxed) }
        }
        let dispatcher = EventDispatcher(
            outbox: platform.events, consumers: list, jobs: platform.jobs, logger: platform.logger(module: "bench"),
            afterCommit: { effects in await platform.perform(effects) }
        )
        for consumer in list { try await dispatcher.register(consumer) }
        let group = ServiceGroup(configuration: .init(services: [.init(service: dispatcher)], logger: platform.logger))
        let start = ContinuousClock.now
        let seconds = try await withThrowingTaskGroup(of: Double?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            for first in stride(from: 0, to: events, by: 100) {
                try await platform.transaction { transaction in
                    for index in first..<min(first + 100, events) {
                        try await transaction.emit(NewEvent(type: type, aggregate: "a\(index % 64)", payload: "{}"))
                    }
                }
            }
            while handled.contains(where: { $0.count.load(ordering: .relaxed) < events }) {
                try await Task.sleep(for: .milliseconds(2))
            }
            let elapsed = ContinuousClock.now - start
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        try await clean(database)
        return Result(events: events, consumers: consumers, seconds: seconds)
    }

    private static func clean(_ database: any Database) async throws {
        try await database.write { connection in
            try await connection.raw("DELETE FROM apus_event_receipts WHERE consumer LIKE \(bind: consumerPrefix + "%")").run()
            try await connection.raw("DELETE FROM apus_event_consumers WHERE name LIKE \(bind: consumerPrefix + "%")").run()
            try await connection.raw("DELETE FROM apus_events WHERE type = \(bind: type)").run()
        }
    }

    /// How many events one consumer handled.
    private final class Tally: Sendable {
        let count = Atomic<Int>(0)
    }
}
