public import Foundation
public import Logging
public import Prometheus

/// What the platform gives every module: configuration and settings, the database and its
/// transactions, users, caches, logging and metrics, the bus, jobs and events.
public struct Platform: Sendable {
    /// The node's configuration.
    public let configuration: ApusConfiguration
    /// The shared database. Modules never hold it: they write through ``transaction(_:)``, which
    /// carries out what a commit must be followed by, and read through ``read``.
    @_spi(Platform) public let database: any Database
    /// Plain reads outside any transaction, on a connection that never waits for the writer
    /// (`platform.read { sql in … }`). Scale-out may answer them from a replica, so nothing
    /// written through it is guaranteed to stay.
    public let read: DatabaseReads
    /// This process's name among the nodes sharing the database: on the leases its job workers
    /// take and in its log lines (`node` metadata).
    public let node: String
    /// The node's logger; modules add `module` metadata.
    public let logger: Logger
    /// The Prometheus registry `/metrics` serves.
    public let metrics: PrometheusCollectorRegistry
    /// Messages between the nodes sharing the database. A module publishes through
    /// ``Transaction/publish(_:_:)``, on channels named after it (`chat.rooms`).
    public let bus: any ClusterBus
    /// The durable job queue; modules enqueue through ``Transaction/enqueue(_:)``.
    @_spi(Platform) public let jobs: JobQueue
    /// The transactional outbox; modules write to it through ``Transaction/emit(_:)``.
    @_spi(Platform) public let events: EventOutbox
    /// Every event type the shipped modules declare (``Module/events``).
    public let eventTypes: EventCatalogue
    /// The users of this deployment, as modules may see them.
    public let users: any UserDirectory
    /// Every route the node serves, once the composition is complete.
    public let routes: RouteTable
    /// The wall clock modules read the time from (tests move it instead of sleeping).
    public let now: @Sendable () -> Date
    /// Where files live: `APUS_DATA_DIR/objects`, or the S3-compatible store of the cluster.
    public let objects: any ObjectStore
    /// Secrets made once per install and shared by every node (signing keys, salts).
    public let secrets: InstallSecrets
    let caches: CacheRegistry
    /// The read replicas `platform.read` may use (`APUS_DATABASE_REPLICA_URLS`), if any.
    package let replicas: ReadReplicas?
    let ownDatabases = OwnDatabases()
    let identityUsers: CachedUsers
    /// Effects after a commit that failed (`apus_after_commit_failures_total`).
    let afterCommitFailures: Counter

    public init(
        configuration: ApusConfiguration,
        database: any Database,
        logger: Logger,
        metrics: PrometheusCollectorRegistry = .init(),
        bus: (any ClusterBus)? = nil,
        objects: (any ObjectStore)? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.now = now
        let node = OpaqueID.make("node", at: now())
        self.node = node
        let replicas = Self.replicas(configuration.replicas, primary: database, metrics: metrics, logger: logger)
        self.replicas = replicas
        self.read = DatabaseReads(database: database, replicas: replicas)
        self.objects = objects ?? configuration.objectStore.map { S3ObjectStore(location: $0) } ?? LocalObjectStore(root: configuration.dataDirectory + "/objects")
        self.configuration = configuration
        self.database = database
        self.secrets = InstallSecrets(database: database)
        var logger = logger
        logger[metadataKey: "node"] = .string(node)
        self.logger = logger
        self.metrics = metrics
        let drops = metrics.makeCounter(descriptor: .init(
            namespace: "apus", subsystem: "bus", metricName: "messages_dropped", unitName: "total",
            helpText: "Bus messages a subscriber that fell behind lost (it was told to resynchronize)."
        ))
        let bus = bus ?? database.makeBus(logger: logger, drops: drops)
        self.afterCommitFailures = metrics.makeCounter(descriptor: .init(
            namespace: "apus", subsystem: "after_commit", metricName: "failures", unitName: "total",
            helpText: "Effects after a committed transaction (bus messages, deferred actions) that failed; the change stayed committed."
        ))
        self.bus = bus
        self.jobs = JobQueue(database: database, bus: bus, settings: configuration.jobs, node: node, now: now)
        let eventTypes = EventCatalogue()
        self.eventTypes = eventTypes
        self.events = EventOutbox(database: database, bus: bus, catalogue: eventTypes, now: now)
        self.routes = RouteTable()
        let caches = CacheRegistry(bus: bus, node: node)
        self.caches = caches
        let userCache = BusInvalidatedCache<String, CachedUsers.Entry>(name: "identity.users", capacity: 10_000, lifetime: .seconds(300), now: now)
        caches.register(userCache)
        let users = CachedUsers(cache: userCache, store: UserStore(database: database, now: now))
        self.identityUsers = users
        self.users = users
    }

    private static func replicas(_ settings: ReplicaSettings, primary: any Database, metrics: PrometheusCollectorRegistry, logger: Logger) -> ReadReplicas? {
        guard !settings.locations.isEmpty else { return nil }
        guard primary.engine == .postgres else {
            logger.error("APUS_DATABASE_REPLICA_URLS is ignored: replicas need PostgreSQL as APUS_DATABASE_URL")
            return nil
        }
        do {
            return try ReadReplicas(settings: settings, primary: primary, metrics: metrics, logger: logger)
        } catch {
            logger.error("read replicas are off: their connections cannot be set up", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The own database of `module` (``Module/ownDatabase``), opened before modules start;
    /// fails for a module that declares none.
    public func ownDatabase(for module: String) throws(ConfigurationError) -> ModuleDatabase {
        guard let entry = ownDatabases.entry(module) else {
            throw .invalid("APUS_MODULES", "module '\(module)' uses a database of its own it does not declare")
        }
        return entry.database
    }

    /// The module settings of this node (`APUS_*`).
    public var settings: Settings { configuration.settings }

    /// The logger for `module`.
    public func logger(module: String) -> Logger {
        var logger = logger
        logger[metadataKey: "module"] = .string(module)
        return logger
    }

    /// The node-local cache named `name`, invalidated over the bus by
    /// ``Transaction/invalidate(_:_:)`` and ``invalidate(_:_:)``: made by the first call, and
    /// shared by every later one of the node (invalidations are addressed by name).
    public func cache<Key, Value>(
        _ name: String, capacity: Int, lifetime: Duration, missLifetime: Duration? = nil, countHitsAndMisses: Bool = false
    ) -> BusInvalidatedCache<Key, Value> {
        caches.cache(named: name) {
            BusInvalidatedCache<Key, Value>(
                name: name, capacity: capacity, lifetime: lifetime, missLifetime: missLifetime, metrics: countHitsAndMisses ? metrics : nil, now: now
            )
        }
    }

    /// Runs `body` in one database transaction: commits when it returns, rolls back when it
    /// throws. After the commit, and only then, the events it emitted are announced, job workers
    /// are woken for the jobs it enqueued, and the cache keys it invalidated are dropped on every
    /// node.
    public func transaction<Result: Sendable>(_ body: @Sendable (Transaction) async throws -> Result) async throws -> Result {
        // Released once the invalidations are applied here: until then the keys are read from
        // the database, which another request may already see committed.
        let holds = CacheHolds()
        defer { holds.release() }
        let (result, effects) = try await database.withTransaction { [events, jobs] sql in
            let transaction = Transaction(sql: sql, outbox: events, jobs: jobs, holds: holds)
            let result = try await body(transaction)
            return (result, transaction.effects)
        }
        await perform(effects, releasing: holds)
        return result
    }

    /// Runs `body` holding the lock `name` in `namespace` (the module's name), one holder at a
    /// time across every node sharing the database, or returns `nil` at once when another holds
    /// it. `body` writes through ``transaction(_:)`` as anywhere else; a node that dies releases
    /// its locks.
    public func withExclusiveLock<Result: Sendable>(
        _ namespace: String, _ name: String, _ body: @Sendable () async throws -> Result
    ) async throws -> Result? {
        try await database.withExclusiveLock(namespace, name, body)
    }

    /// Drops `keys` of `cache` on every node now, outside any transaction (for state that is not
    /// in the database, or changed by a statement that committed on its own).
    public func invalidate<Key, Value>(_ cache: BusInvalidatedCache<Key, Value>, _ keys: [Key]) async {
        await caches.invalidate(keys.map { CacheKey(cache: cache.name, key: $0.description) })
    }

    /// Carries out what a committed transaction asked for. Nothing here fails the change: it
    /// is committed, so a failure is logged and counted.
    func perform(_ effects: AfterCommit, releasing holds: CacheHolds? = nil) async {
        guard !effects.isEmpty else { return }
        await caches.invalidate(effects.invalidations)
        // Dropped here: the keys need no hold through the slower effects below.
        holds?.release()
        if effects.announceEvents { await events.announce() }
        if effects.wakeWorkers { await jobs.wakeWorkers() }
        for publication in effects.publications {
            do {
                try await bus.publish(publication.channel, publication.message)
            } catch {
                afterCommitFailures.increment()
                logger.error("a committed transaction's bus message was not sent", metadata: ["channel": "\(publication.channel)", "error": "\(error)"])
            }
        }
        for action in effects.actions {
            do {
                try await action()
            } catch {
                afterCommitFailures.increment()
                logger.error("an effect after a commit failed; the change stays committed", metadata: ["error": "\(error)"])
            }
        }
    }
}
