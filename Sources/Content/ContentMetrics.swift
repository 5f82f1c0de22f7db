import Prometheus

/// Content's series in `/metrics`: schedules past their time, and how late scheduled
/// publications ran.
final class ContentMetrics: Sendable {
    private let overdueGauge: Gauge
    private let lateness: ValueHistogram
    private let runs: Counter

    init(registry: PrometheusCollectorRegistry) {
        overdueGauge = registry.makeGauge(descriptor: .init(
            namespace: "apus", subsystem: "content", metricName: "schedules_overdue", unitName: "",
            helpText: "Scheduled publications more than a minute past their time and not yet run, as last counted."
        ))
        lateness = registry.makeValueHistogram(descriptor: .init(
            namespace: "apus", subsystem: "content", metricName: "schedule_lateness", unitName: "seconds",
            helpText: "How long after its time a scheduled publication or withdrawal ran."
        ), buckets: [0.1, 1, 5, 30, 60, 300, 3600, 86400])
        runs = registry.makeCounter(descriptor: .init(
            namespace: "apus", subsystem: "content", metricName: "scheduled_runs", unitName: "total",
            helpText: "Scheduled publications and withdrawals carried out."
        ))
    }

    func overdue(_ count: Int) { overdueGauge.set(Double(count)) }

    func scheduledRun(lateBy seconds: Double) {
        runs.increment()
        lateness.record(max(0, seconds))
    }
}
