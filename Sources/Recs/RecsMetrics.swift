import Prometheus

/// Recommendations' series in `/metrics`: interactions taken, training runs and their length,
/// users folded in, and answers by how they were served.
final class RecsMetrics: Sendable {
    private let interactions: Counter
    private let trainingSeconds: ValueHistogram
    private let foldIns: Counter
    private let personal: Counter
    private let popular: Counter
    private let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        interactions = registry.makeCounter(descriptor: .init(
            namespace: "apus", subsystem: "recs", metricName: "interactions", unitName: "total",
            helpText: "Interactions stored (repeats of one already stored are not counted)."
        ))
        trainingSeconds = registry.makeValueHistogram(descriptor: .init(
            namespace: "apus", subsystem: "recs", metricName: "pipeline", unitName: "seconds",
            helpText: "How long a training run took from extract to publish."
        ), buckets: [1, 5, 15, 60, 300, 900, 3600])
        foldIns = registry.makeCounter(descriptor: .init(
            namespace: "apus", subsystem: "recs", metricName: "fold_ins", unitName: "total",
            helpText: "Users whose list was recomputed from new interactions without a retrain."
        ))
        func answers(_ strategy: String) -> Counter {
            registry.makeCounter(
                descriptor: .init(namespace: "apus", subsystem: "recs", metricName: "answers", unitName: "total", helpText: "Recommendations answered, by the list that served them."),
                labels: [("strategy", strategy)]
            )
        }
        personal = answers("personal")
        popular = answers("popularity")
    }

    func stored(_ count: Int) { interactions.increment(by: Int64(count)) }

    func foldedIn() { foldIns.increment() }

    func trained(_ outcome: ModelStatus, seconds: Double) {
        trainingSeconds.record(seconds)
        registry.makeCounter(
            descriptor: .init(namespace: "apus", subsystem: "recs", metricName: "models", unitName: "total", helpText: "Training runs by how they ended."),
            labels: [("outcome", outcome.rawValue)]
        ).increment()
    }

    /// One pipeline step done, by step.
    func step(_ step: PipelineStep, seconds: Double) {
        registry.makeValueHistogram(
            descriptor: .init(namespace: "apus", subsystem: "recs", metricName: "step", unitName: "seconds", helpText: "How long each step of a training run took."),
            labels: [("step", step.rawValue)], buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600]
        ).record(seconds)
    }

    func served(personally: Bool) { (personally ? personal : popular).increment() }
}
