import Prometheus

/// The uploads module's series on `/metrics`: counters of bytes, completions, checksum failures,
/// storage errors and removals, and a gauge of the uploads held by state.
struct UploadMetrics: Sendable {
    let bytesReceived: Counter
    let completed: Counter
    let checksumFailures: Counter
    let storageErrors: Counter
    /// Uploads removed before they were finished, or files removed, by why.
    let terminated: Counter
    let expired: Counter
    /// Uploads in the database by state (the whole cluster's, as this node last counted them).
    let stored: [Upload.State: Gauge]

    init(registry: PrometheusCollectorRegistry) {
        func counter(_ name: String, _ help: String, labels: [(String, String)] = []) -> Counter {
            registry.makeCounter(descriptor: .init(namespace: "apus", subsystem: "uploads", metricName: name, unitName: "total", helpText: help), labels: labels)
        }
        bytesReceived = counter("bytes_received", "Bytes of upload chunks received.")
        completed = counter("completed", "Uploads completed.")
        checksumFailures = counter("checksum_failures", "Chunks refused because their Upload-Checksum did not match.")
        storageErrors = counter("storage_errors", "Object store operations that failed.")
        terminated = counter("removed", "Uploads and files removed, by reason.", labels: [("reason", "terminated")])
        expired = counter("removed", "Uploads and files removed, by reason.", labels: [("reason", "expired")])
        var stored: [Upload.State: Gauge] = [:]
        for state in Upload.State.allCases {
            stored[state] = registry.makeGauge(
                descriptor: .init(namespace: "apus", subsystem: "uploads", metricName: "stored", unitName: "", helpText: "Uploads held, by state: unfinished, expired (not yet swept) or completed."),
                labels: [("state", state.rawValue)]
            )
        }
        self.stored = stored
    }

    /// Sets the gauges to `counts`; a state missing from it has none.
    func update(stored counts: [Upload.State: Int]) {
        for (state, gauge) in stored { gauge.set(to: Double(counts[state] ?? 0)) }
    }
}
