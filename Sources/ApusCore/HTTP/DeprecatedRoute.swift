public import Foundation
public import HTTPTypes
public import Hummingbird
public import Prometheus

/// Marks the routes it wraps as deprecated, the way API versioning retires a route gradually:
/// every answer carries `Deprecation` (RFC 9745, the time it was deprecated), `Sunset` (RFC 8594,
/// when it will stop answering) and a `Link` to its successor (`rel="successor-version"`), and
/// each call is counted in `apus_deprecated_requests_total{route}`, so operators see who still
/// calls it before it goes. The route's operation says `deprecated: true` in the module's
/// OpenAPI fragment too.
public struct DeprecatedRoute: RouterMiddleware {
    public typealias Context = ApusRequestContext

    private let headers: HTTPFields
    private let registry: PrometheusCollectorRegistry

    /// - Parameters:
    ///   - since: when the route was deprecated.
    ///   - sunset: when it stops answering, if that is decided.
    ///   - successor: the path or URL that replaces it.
    ///   - metrics: the node's registry (`platform.metrics`).
    public init(since: Date, sunset: Date? = nil, successor: String? = nil, metrics: PrometheusCollectorRegistry) {
        var headers: HTTPFields = [.deprecation: "@\(Int64(since.timeIntervalSince1970.rounded(.down)))"]
        if let sunset { headers[.sunset] = HTTPDate.format(sunset) }
        if let successor { headers[.link] = "<\(successor)>; rel=\"successor-version\"" }
        self.headers = headers
        self.registry = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let route = context.endpointPath ?? request.uri.path
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "apus", subsystem: "deprecated", metricName: "requests", unitName: "total",
                helpText: "Calls of deprecated routes, by route: who still calls what is going away."
            ),
            labels: [("route", route)]
        ).increment()
        do {
            var response = try await next(request, context)
            response.headers.append(contentsOf: headers)
            return response
        } catch var problem as Problem {
            problem.headers.append(contentsOf: headers)
            throw problem
        }
    }
}

extension HTTPField.Name {
    /// RFC 9745.
    public static let deprecation = Self("Deprecation")!
    /// RFC 8594.
    public static let sunset = Self("Sunset")!
    /// RFC 8288.
    public static let link = Self("Link")!
}
