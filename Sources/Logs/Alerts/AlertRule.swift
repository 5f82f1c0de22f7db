import ApusCore
import Foundation
import Hummingbird

/// An alert: fires `logs.alert.fired` when the lines a log query keeps number at least
/// `threshold` within the last `window`, then not again for `cooldown`.
struct AlertRule: Sendable, Equatable {
    var id: String
    var tenant: String
    var name: String
    /// A log query: a selector, line filters, parsers and label filters.
    var query: String
    /// In nanoseconds, as the lines' times.
    var window: Int64
    var threshold: Int
    var cooldown: Int64
    var createdAt: Int64
    var lastFiredAt: Int64?

    /// Buckets a window is counted in (``SlidingWindowCounter``).
    static let buckets = 10

    /// The query, parsed (it was checked when the rule was made).
    var selection: LogQL.Selection? {
        guard case .logs(let selection)? = try? LogQLParser.parse(query) else { return nil }
        return selection
    }

    /// What `POST /v1/logs/alerts` takes.
    struct Body: Decodable, Sendable {
        var name: String
        var query: String
        /// A duration such as `5m` (10 s to 1 day, whole seconds).
        var window: String
        var threshold: Int
        /// A duration (`15m` unless given).
        var cooldown: String?

        /// The rule it asks for, or every field wrong with it.
        func rule(tenant: String, id: String, at time: Int64) -> Result<AlertRule, Problem> {
            var errors: [Problem.FieldError] = []
            if name.isEmpty || name.utf8.count > 200 || name.contains("\u{0}") { errors.append(.init(field: "name", message: "must be 1 to 200 bytes of text")) }
            if query.utf8.contains(0) { errors.append(.init(field: "query", message: "must not hold NUL")) }
            do {
                if case .metric = try LogQLParser.parse(query) {
                    errors.append(.init(field: "query", message: "must be a log query (a selector with filters), not a metric query"))
                }
            } catch {
                errors.append(.init(field: "query", message: "is not LogQL: \(error.description)"))
            }
            let window = Self.duration(self.window)
            if window == nil || window! < 10_000_000_000 || window! > 86_400_000_000_000 || window! % 1_000_000_000 != 0 {
                errors.append(.init(field: "window", message: "must be a duration of whole seconds from 10s to 24h, such as 5m"))
            }
            let cooldown = cooldown.map(Self.duration) ?? 900_000_000_000
            if cooldown == nil || cooldown! < 0 || cooldown! > 7 * 86_400_000_000_000 {
                errors.append(.init(field: "cooldown", message: "must be a duration up to 7d, such as 15m"))
            }
            if threshold < 1 || threshold > 1_000_000_000 { errors.append(.init(field: "threshold", message: "must be from 1 to 1000000000")) }
            guard errors.isEmpty, let window, let cooldown else { return .failure(.unprocessable("Field \(errors[0].field) \(errors[0].message).", errors: errors)) }
            return .success(AlertRule(id: id, tenant: tenant, name: name, query: query, window: window, threshold: threshold, cooldown: cooldown, createdAt: time))
        }

        static func duration(_ text: String) -> Int64? {
            guard let nanoseconds = LokiTime.step(text), nanoseconds >= 0 else { return nil }
            return nanoseconds
        }
    }

    /// How a rule is answered.
    struct Response: ResponseEncodable {
        var id: String
        var name: String
        var query: String
        var window: String
        var threshold: Int
        var cooldown: String
        var createdAt: Date
        var lastFiredAt: Date?
    }

    var response: Response {
        Response(
            id: id, name: name, query: query, window: Self.text(window), threshold: threshold, cooldown: Self.text(cooldown),
            createdAt: Date(timeIntervalSince1970: Double(createdAt) / 1e9), lastFiredAt: lastFiredAt.map { Date(timeIntervalSince1970: Double($0) / 1e9) }
        )
    }

    /// Whole seconds as Loki writes a duration (`300s`).
    static func text(_ nanoseconds: Int64) -> String { "\(nanoseconds / 1_000_000_000)s" }
}
