public import Hummingbird
public import Prometheus
import Synchronization

/// Counts requests and times them by method, route template and status in Prometheus.
///
/// Labels use the route template (`/v1/links/{code}`), never the raw path, so a scan of random
/// paths cannot blow up the number of series.
public struct HTTPMetricsMiddleware: RouterMiddleware {
    public typealias Context = ApusRequestContext

    private let registry: PrometheusCollectorRegistry
    /// The series already made, so a request costs one dictionary lookup instead of building a
    /// metric name and asking the registry (which showed in profiles of the hot paths).
    private let series = SeriesCache()
    private static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]
    // MetricNameDescriptor is not Sendable, so these are made on use (a few strings).
    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "apus", subsystem: "http", metricName: "requests", unitName: "total",
            helpText: "HTTP requests answered, by method, route template and status."
        )
    }
    private static var duration: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "apus", subsystem: "http", metricName: "request_duration", unitName: "seconds",
            helpText: "Time to produce the response, by method, route template and status."
        )
    }
    private static let knownMethods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete, .options, .trace, .connect]

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        record(request, context, status: response.status, since: start)
        return response
    }

    /// Counts and times one answered request.
    func record(_ request: Request, _ context: Context, status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        let method = Self.knownMethods.contains(request.method) ? request.method.rawValue : "OTHER"
        let key = SeriesCache.Key(method: method, route: route, status: Int(status.code))
        let metrics = series.metrics(for: key) {
            let labels = [("method", method), ("route", route), ("status", String(status.code))]
            return (
                registry.makeCounter(descriptor: Self.requests, labels: labels),
                registry.makeDurationHistogram(descriptor: Self.duration, labels: labels, buckets: Self.buckets)
            )
        }
        metrics.requests.increment()
        metrics.duration.recordNanoseconds(Int64((ContinuousClock.now - start) / .nanoseconds(1)))
    }
}

/// The counter and histogram of each (method, route, status) seen so far.
final class SeriesCache: Sendable {
    struct Key: Hashable, Sendable {
        let method: String
        let route: String
        let status: Int
    }

    typealias Metrics = (requests: Counter, duration: DurationHistogram)

    private let known = Mutex<[Key: Metrics]>([:])

    func metrics(for key: Key, make: () -> Metrics) -> Metrics {
        if let metrics = known.withLock({ $0[key] }) { return metrics }
        let metrics = make()
        known.withLock { $0[key] = metrics }
        return metrics
    }
}
