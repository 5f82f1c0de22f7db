public import HTTPTypes
public import Hummingbird
import Logging

/// Gives each request its `X-Request-ID` (the client's when it is sane, else a new one) and its
/// W3C trace context, puts both in every log line of the request, and echoes the id.
public struct RequestIdentityMiddleware: RouterMiddleware {
    public typealias Context = ApusRequestContext

    /// The request id header.
    public static let requestIDHeader = HTTPField.Name("X-Request-ID")!
    /// Sent on every response: browsers must not guess a type other than the one declared.
    static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    /// The W3C trace context header.
    public static let traceParentHeader = HTTPField.Name("traceparent")!

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let scope = Self.begin(request, &context)
        var response = try await RequestLogScope.$current.withValue(scope) { try await next(request, context) }
        Self.end(&response, requestID: scope.requestID)
        return response
    }

    /// Gives `context` the request's id and trace context; returns them for the log lines of
    /// the request (`RequestLogScope`).
    static func begin(_ request: Request, _ context: inout Context) -> RequestLogScope {
        let requestID: String
        let trace: TraceParent
        let given = request.headers.first(Self.requestIDHeader).flatMap { Self.isAcceptable($0) ? $0 : nil }
        if let header = request.headers.first(Self.traceParentHeader), let parsed = TraceParent(header: header) {
            requestID = given ?? TraceParent.randomHex(bytes: 16)
            trace = parsed
        } else if let given {
            requestID = given
            trace = TraceParent()
        } else {
            // A request that starts a trace: one draw names both, so its logs are found by either.
            requestID = TraceParent.randomHex(bytes: 16)
            trace = TraceParent(startingWith: requestID)
        }
        context.requestID = requestID
        context.trace = trace
        return RequestLogScope(requestID: requestID, traceID: trace.traceID)
    }

    /// Echoes the request id, and says `nosniff`, on `response`.
    static func end(_ response: inout Response, requestID: String) {
        // Appended, not set: no handler names the request id, so there is nothing to replace.
        response.headers.append(HTTPField(name: Self.requestIDHeader, value: requestID))
        response.headers[Self.contentTypeOptions] = "nosniff"
    }

    /// Client ids are echoed into logs and headers, so only short, plain ones are kept.
    static func isAcceptable(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 || $0 == 46 }
    }
}
