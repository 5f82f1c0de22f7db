@_spi(Platform) @testable import ApusCore
import ApusTesting
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Testing

/// A migrated database with a queue and an outbox, and workers or dispatchers run as services
/// for the length of a closure (then shut down gracefully).
struct JobHarness {
    let database: any Database
    let bus: any ClusterBus
    let queue: JobQueue
    let outbox: EventOutbox
    let metrics = PrometheusCollectorRegistry()
    /// The clock every queue of the harness reads: leases lapse when a test moves it.
    let clock: TestClock

    static func fast(_ change: (inout JobSettings) -> Void = { _ in }) -> JobSettings {
        var settings = JobSettings()
        settings.backoffBaseMilliseconds = 20
        settings.backoffCapMilliseconds = 100
        settings.pollMilliseconds = 50
        settings.maxAttempts = 3
        change(&settings)
        return settings
    }

    static func with(
        _ engine: DatabaseEngine,
        settings: JobSettings = fast(),
        _ body: @Sendable (JobHarness) async throws -> Void
    ) async throws {
        try await TestDatabase.withDatabase(engine) { database async throws in
            try await Migrator(database: database, migrations: ApusServer.platformMigrations, logger: TestDatabase.logger).migrate()
            let bus: any ClusterBus = engine == .sqlite ? LocalBus() : database.makeBus(logger: TestDatabase.logger, drops: nil)
            try await body(JobHarness(database: database, bus: bus, settings: settings))
        }
    }

    init(database: any Database, bus: any ClusterBus, settings: JobSettings, clock: TestClock = TestClock()) {
        self.database = database
        self.bus = bus
        self.clock = clock
        self.queue = JobQueue(database: database, bus: bus, settings: settings, now: clock.now)
        self.outbox = EventOutbox(database: database, bus: bus, now: clock.now)
    }

    /// Another node's queue on the same database.
    func secondNode() -> JobQueue {
        JobQueue(database: database, bus: bus, settings: queue.settings, now: clock.now)
    }

    func worker(_ handlers: [JobHandler], recurring: [RecurringJob] = [], queue: JobQueue? = nil) -> JobWorker {
        JobWorker(queue: queue ?? self.queue, handlers: handlers, recurring: recurring, metrics: JobMetrics(registry: metrics), logger: TestDatabase.logger)
    }

    func dispatcher(_ consumers: [EventConsumer]) -> EventDispatcher {
        EventDispatcher(outbox: outbox, consumers: consumers, jobs: queue, logger: TestDatabase.logger, pollInterval: .milliseconds(50))
    }

    /// Runs `services` while `body` runs, then shuts them down gracefully.
    func running(_ services: [any Service], _ body: @Sendable () async throws -> Void) async throws {
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: TestDatabase.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            } catch {
                await group.triggerGracefulShutdown()
                tasks.cancelAll()
                throw error
            }
        }
    }

    /// The state of job `id`.
    func state(_ id: Int64) async throws -> JobState? {
        try await queue.job(id: id)?.state
    }
}

/// A thread-safe log of what handlers saw.
actor Seen<Value: Sendable> {
    private(set) var values: [Value] = []
    func append(_ value: Value) { values.append(value) }
    var count: Int { values.count }
}
