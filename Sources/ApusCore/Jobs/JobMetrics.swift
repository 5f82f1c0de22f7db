import Prometheus
import Synchronization

/// The queue's series in `/metrics`: outcomes by kind, depth by kind and state, oldest due age.
final class JobMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let outcomes = Mutex<[String: Counter]>([:])
    private let depthSeen = Mutex<Set<String>>([])
    private let oldestDue: Gauge

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        oldestDue = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "apus", subsystem: "jobs", metricName: "oldest_due", unitName: "seconds",
            helpText: "How long the oldest due job has waited for a worker."
        ))
    }

    /// Counts one finished attempt: completed, retried, dead or released.
    func record(kind: String, outcome: String, count: Int = 1) {
        let key = kind + "\u{0}" + outcome
        let counter = outcomes.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: MetricNameDescriptor(namespace: "apus", subsystem: "jobs", metricName: "attempts", unitName: "total", helpText: "Job attempts by kind and outcome."),
                labels: [("kind", kind), ("outcome", outcome)]
            )
            counters[key] = counter
            return counter
        }
        counter.increment(by: Int64(count))
    }

    /// Sets the depth gauges; kinds and states that emptied drop to zero.
    func update(depth counts: [String: [JobState: Int]], oldestDueAge: Double) {
        oldestDue.set(to: oldestDueAge)
        let previous = depthSeen.withLock { $0 }
        var current: Set<String> = []
        for (kind, states) in counts {
            for state in JobState.allCases where state != .completed {
                current.insert(kind)
                depthGauge(kind: kind, state: state).set(to: Double(states[state] ?? 0))
            }
        }
        for kind in previous.subtracting(current) {
            for state in JobState.allCases where state != .completed {
                depthGauge(kind: kind, state: state).set(to: 0)
            }
        }
        depthSeen.withLock { $0 = previous.union(current) }
    }

    private func depthGauge(kind: String, state: JobState) -> Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "apus", subsystem: "jobs", metricName: "depth", unitName: "", helpText: "Jobs waiting, running or dead, by kind and state."),
            labels: [("kind", kind), ("state", state.rawValue)]
        )
    }
}
