package import Logging

/// The ids of the request a task is serving. Every line logged while serving it names the
/// request and its trace, whichever logger writes it (the request's, a module's, a service's),
/// and nothing is written into a logger per request: copying a logger's metadata on every
/// request showed in profiles of the hot paths, and most requests log nothing.
package struct RequestLogScope: Sendable {
    /// The `X-Request-ID` of the request.
    package let requestID: String
    /// The W3C trace id the request belongs to.
    package let traceID: String
    /// The caller, once authenticated.
    package var userID: String?

    /// The request the current task serves, if any.
    @TaskLocal package static var current: RequestLogScope?

    static let requestIDKey = "request_id"
    static let traceIDKey = "trace_id"
    static let userIDKey = "user_id"
    /// Hummingbird's own request id, which the platform's replaces in log lines.
    static let frameworkIDKey = "hb.request.id"

    /// Adds the current request's ids to `fields`, under what the line itself says.
    static func add(to fields: inout Logger.Metadata) {
        guard let scope = current else { return }
        fields[frameworkIDKey] = nil
        if fields[requestIDKey] == nil { fields[requestIDKey] = .string(scope.requestID) }
        if fields[traceIDKey] == nil { fields[traceIDKey] = .string(scope.traceID) }
        if let user = scope.userID, fields[userIDKey] == nil { fields[userIDKey] = .string(user) }
    }

    /// The same for log handlers of other formats.
    package static let metadataProvider = Logger.MetadataProvider {
        guard let scope = current else { return [:] }
        var fields: Logger.Metadata = [requestIDKey: .string(scope.requestID), traceIDKey: .string(scope.traceID)]
        if let user = scope.userID { fields[userIDKey] = .string(user) }
        return fields
    }
}
