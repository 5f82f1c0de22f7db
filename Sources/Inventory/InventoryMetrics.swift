import Prometheus
import Synchronization

/// Inventory's series in `/metrics`: checkouts by outcome, conflicts retried, stock-outs.
final class InventoryMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let outcomes = Mutex<[String: Counter]>([:])
    private let retries: Counter
    private let stockOuts: Counter

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        retries = registry.makeCounter(descriptor: .init(
            namespace: "apus", subsystem: "inventory", metricName: "conflicts_retried", unitName: "total",
            helpText: "Checkout transactions run again after a deadlock, serialization failure or lock timeout."
        ))
        stockOuts = registry.makeCounter(descriptor: .init(
            namespace: "apus", subsystem: "inventory", metricName: "stock_outs", unitName: "total",
            helpText: "Times a SKU's available stock reached zero."
        ))
    }

    /// Counts one checkout: `reserved`, `insufficient`, `invalid` or `conflict`.
    func reservation(_ outcome: String) {
        let counter = outcomes.withLock { counters in
            if let counter = counters[outcome] { return counter }
            let counter = registry.makeCounter(
                descriptor: .init(namespace: "apus", subsystem: "inventory", metricName: "reservations", unitName: "total", helpText: "Checkouts by outcome."),
                labels: [("outcome", outcome)]
            )
            counters[outcome] = counter
            return counter
        }
        counter.increment()
    }

    func conflictRetried() { retries.increment() }

    func stockOut() { stockOuts.increment() }
}
