import Prometheus

/// The uploads module's counters on `/metrics`.
struct UploadMetrics: Sendable {
    let bytesReceived: Counter
    let completed: Counter
    let checksumFailures: Counter
    let storageErrors: Counter

    init(registry: PrometheusCollectorRegistry) {
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: .init(namespace: "apus", subsystem: "uploads", metricName: name, unitName: "total", helpText: help))
        }
        bytesReceived = counter("bytes_received", "Bytes of upload chunks received.")
        completed = counter("completed", "Uploads completed.")
        checksumFailures = counter("checksum_failures", "Chunks refused because their Upload-Checksum did not match.")
        storageErrors = counter("storage_errors", "Object store operations that failed.")
    }
}
