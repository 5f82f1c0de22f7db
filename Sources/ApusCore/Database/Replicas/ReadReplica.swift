import Foundation
import Logging
import Prometheus
import Synchronization

/// One streaming replica: its pool, the position it had replayed at the last check, and whether
/// reads may go to it.
final class ReadReplica: Sendable {
    /// `host:port`, in logs and metric labels.
    let name: String
    let backend: PostgresBackend
    private let replayed = Atomic<UInt64>(0)
    private let usable = Atomic<Bool>(false)
    let lag: Gauge
    let up: Gauge

    init(name: String, backend: PostgresBackend, metrics: PrometheusCollectorRegistry) {
        self.name = name
        self.backend = backend
        self.lag = metrics.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "apus", subsystem: "database_replica", metricName: "lag", unitName: "seconds",
                helpText: "How far each read replica is behind the primary, at the last check."
            ),
            labels: [("replica", name)]
        )
        self.up = metrics.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "apus", subsystem: "database_replica", metricName: "up", unitName: "",
                helpText: "1 if reads go to this replica, 0 if it is out (unreachable, not a standby, or lagging)."
            ),
            labels: [("replica", name)]
        )
        up.set(to: 0.0)
    }

    /// Whether reads may go here, and how far it has replayed.
    var state: (usable: Bool, replayed: WALPosition) {
        (usable.load(ordering: .relaxed), WALPosition(replayed.load(ordering: .relaxed)))
    }

    /// Records a check: taken out unless `usable`; returns whether that changed.
    @discardableResult
    func record(usable: Bool, replayed position: WALPosition?, lagSeconds: Double?) -> Bool {
        if let position { replayed.store(position.value, ordering: .relaxed) }
        if let lagSeconds { lag.set(to: lagSeconds) }
        up.set(to: usable ? 1.0 : 0.0)
        return self.usable.exchange(usable, ordering: .relaxed) != usable
    }

    /// Takes the replica out after a read failed on it; the next check decides when it returns.
    func takeOut() -> Bool {
        up.set(to: 0.0)
        return usable.exchange(false, ordering: .relaxed)
    }
}
