public import Logging
public import Prometheus

/// What the platform gives every module: configuration, the database, logging and metrics.
public struct Platform: Sendable {
    /// The node's configuration.
    public let configuration: ApusConfiguration
    /// The shared database.
    public let database: any Database
    /// The node's logger; modules add `module` metadata.
    public let logger: Logger
    /// The Prometheus registry `/metrics` serves.
    public let metrics: PrometheusCollectorRegistry
    /// Messages between the nodes sharing the database.
    public let bus: any ClusterBus
    /// The durable job queue.
    public let jobs: JobQueue
    /// The transactional outbox modules write their events to.
    public let events: EventOutbox

    public init(
        configuration: ApusConfiguration,
        database: any Database,
        logger: Logger,
        metrics: PrometheusCollectorRegistry = .init(),
        bus: (any ClusterBus)? = nil
    ) {
        self.configuration = configuration
        self.database = database
        self.logger = logger
        self.metrics = metrics
        let bus = bus ?? database.makeBus(logger: logger)
        self.bus = bus
        self.jobs = JobQueue(database: database, bus: bus, settings: configuration.jobs)
        self.events = EventOutbox(database: database, bus: bus)
    }

    /// The logger for `module`.
    public func logger(module: String) -> Logger {
        var logger = logger
        logger[metadataKey: "module"] = .string(module)
        return logger
    }
}
