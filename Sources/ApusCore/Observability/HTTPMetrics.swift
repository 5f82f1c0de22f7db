public import Hummingbird
public import Prometheus

/// Counts requests and times them by method, route template and status in Prometheus.
///
/// Labels use the route template (`/v1/links/{code}`), never the raw path, so a scan of random
/// paths cannot blow up the number of series.
public struct HTTPMetricsMiddleware: RouterMiddleware {
    public typealias Context = ApusRequestContext

    private let registry: PrometheusCollectorRegistry
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
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        let method = Self.knownMethods.contains(request.method) ? request.method.rawValue : "OTHER"
        let labels = [("method", method), ("route", route), ("status", String(response.status.code))]
        registry.makeCounter(descriptor: Self.requests, labels: labels).increment()
        registry.makeDurationHistogram(descriptor: Self.duration, labels: labels, buckets: Self.buckets)
            .recordNanoseconds(Int64((ContinuousClock.now - start) / .nanoseconds(1)))
        return response
    }
}
