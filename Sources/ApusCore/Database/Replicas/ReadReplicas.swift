import Foundation
public import Logging
import ServiceLifecycle
public import Prometheus
public import SQLKit
import Synchronization

/// Streaming replicas of the primary that plain reads (`platform.read`) go to when they can.
///
/// A read goes to a replica only while an HTTP request is being answered and before it writes,
/// and only if the last check found it a standby within
/// `APUS_REPLICA_MAX_LAG` and, when the request carries a consistency position, replayed past
/// it; otherwise to the primary. A read that fails on a replica (it went away between checks)
/// takes the replica out and runs again on the primary, so a replica stopping costs a read
/// nothing but time.
public final class ReadReplicas: Sendable {
    let replicas: [ReadReplica]
    let primary: any Database
    let settings: ReplicaSettings
    let logger: Logger
    private let turn = Atomic<Int>(0)
    private let toPrimary: Counter
    private let toReplica: Counter

    /// Pools for every replica of `settings`, connecting on first use: a replica that is down
    /// at start is only out until it answers. Nothing goes to a replica before a check.
    public init(settings: ReplicaSettings, primary: any Database, metrics: PrometheusCollectorRegistry, logger: Logger) throws {
        self.settings = settings
        self.primary = primary
        self.logger = logger
        var replicas: [ReadReplica] = []
        for location in settings.locations {
            let backend = try PostgresBackend.pool(location, maximumConnections: settings.maximumConnections, logger: logger)
            replicas.append(ReadReplica(name: "\(location.host):\(location.port)", backend: backend, metrics: metrics))
        }
        self.replicas = replicas
        func reads(_ target: String) -> Counter {
            metrics.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "apus", subsystem: "database", metricName: "reads", unitName: "total",
                    helpText: "Plain reads by where they ran: the primary or a replica."
                ),
                labels: [("target", target)]
            )
        }
        self.toPrimary = reads("primary")
        self.toReplica = reads("replica")
    }

    /// Runs `body` on a replica that may answer this request, else on the primary.
    @usableFromInline
    func read<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
        // Only reads made while answering an HTTP request go to a replica, and only until the
        // request writes: after that it reads its own writes, which a replica may not have yet.
        // Background work (jobs, event consumers, sockets, commands) mostly acts on what was just
        // committed, so it reads the primary too.
        if let consistency = ReadConsistency.current, !consistency.hasWritten, let replica = choose(after: consistency.required) {
            do {
                let result = try await Self.within(settings.readTimeout) { connected in
                    try await replica.backend.read { sql in
                        connected()
                        return try await body(sql)
                    }
                }
                toReplica.increment()
                return result
            } catch let error as ReplicaReadFailure {
                if Task.isCancelled { throw CancellationError() }
                if replica.takeOut() {
                    logger.warning("read replica taken out after a failed read", metadata: ["replica": "\(replica.name)", "error": "\(error)"])
                }
            } catch where Self.isReplicaFault(error) {
                // The statement itself was refused by the standby (a conflict with recovery,
                // or a write): the primary answers; the replica stays in.
            }
        }
        toPrimary.increment()
        return try await primary.read(body)
    }

    /// Whether some replica would answer a read that must see `position` now.
    package func canServe(after position: WALPosition?) -> Bool { choose(after: position) != nil }

    /// The next usable replica (round robin) that has replayed past `position`, if any.
    func choose(after position: WALPosition?) -> ReadReplica? {
        guard !replicas.isEmpty else { return nil }
        let start = turn.add(1, ordering: .relaxed).oldValue
        for offset in 0..<replicas.count {
            let replica = replicas[(start &+ offset) % replicas.count]
            let state = replica.state
            if state.usable, position.map({ state.replayed >= $0 }) ?? true { return replica }
        }
        return nil
    }

    /// Checks the replicas while the node runs (the first check at once; until then every read
    /// goes to the primary), and closes their pools when it stops.
    struct Checks: Service {
        let replicas: ReadReplicas
        let now: @Sendable () -> Date

        func run() async throws {
            await cancelWhenGracefulShutdown {
                await ReplicaMonitor(replicas: replicas, now: now).run()
            }
            for replica in replicas.replicas { await replica.backend.close() }
        }
    }
}

/// A replica that did not answer in time, or whose connection failed: not the statement's fault.
struct ReplicaReadFailure: Error, CustomStringConvertible {
    let description: String
}

extension ReadReplicas {
    /// Runs `work`, which must call its argument once it has a connection, giving it `seconds` to
    /// get one; a connection error or the deadline becomes a ``ReplicaReadFailure``. A pool whose
    /// server is gone waits for a connection instead of failing, so only a deadline bounds it;
    /// a statement that is running is not cut off (a query cannot be), however long it takes.
    static func within<Result: Sendable>(
        _ seconds: Double, _ work: @Sendable (_ connected: @Sendable () -> Void) async throws -> Result
    ) async throws -> Result {
        let connected = Flag()
        return try await withoutActuallyEscaping(work) { work in
            try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    do {
                        return try await work { connected.raise() }
                    } catch where !Task.isCancelled && isConnectionFault(error) {
                        throw ReplicaReadFailure(description: "\(String(reflecting: error).prefix(200))")
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(seconds))
                    // Connected in time: the statement runs to its end (the work's result or
                    // error comes first; this waits to be cancelled).
                    while connected.isRaised { try await Task.sleep(for: .seconds(3600)) }
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else {
                    throw ReplicaReadFailure(description: "no answer within \(seconds) s")
                }
                return result
            }
        }
    }
}

/// A flag one task raises and another reads.
private final class Flag: Sendable {
    private let raised = Atomic<Bool>(false)

    func raise() { raised.store(true, ordering: .relaxed) }

    var isRaised: Bool { raised.load(ordering: .relaxed) }
}
