import Prometheus

/// The outbound client's Prometheus series. Labelled by `host:port`: the hosts a node calls
/// are the ones its operators and users configured, not whatever a request names.
struct EgressMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry

    // MetricNameDescriptor is not Sendable, so these are made on use (a few strings).
    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "apus", subsystem: "egress", metricName: "requests", unitName: "total",
            helpText: "Outbound HTTP calls, by host and outcome."
        )
    }
    private static var circuitState: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "apus", subsystem: "egress", metricName: "circuit_state", unitName: "",
            helpText: "Circuit breaker state of an outbound host: 0 closed, 1 half-open, 2 open."
        )
    }

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Counts one call to `host` ended with `outcome` (`success`, `cached`, `client_error`,
    /// `server_error`, or the error's kind).
    func recordRequest(host: String, outcome: String) {
        registry.makeCounter(descriptor: Self.requests, labels: [("host", host), ("outcome", outcome)]).increment()
    }

    /// Shows `host`'s circuit state: 0 closed, 1 half-open, 2 open.
    func recordCircuit(host: String, state: String) {
        let value: Double =
            switch state {
            case "open": 2
            case "half_open": 1
            default: 0
            }
        registry.makeGauge(descriptor: Self.circuitState, labels: [("host", host)]).set(value)
    }

    /// The `outcome` label of a call the host answered with `status`.
    static func outcome(status: Int, fromCache: Bool) -> String {
        if fromCache { return "cached" }
        switch status {
        case ..<400: return "success"
        case ..<500: return "client_error"
        default: return "server_error"
        }
    }
}
