import Foundation
import Hummingbird

/// A request's query read as HTML forms and Go's `url.ParseQuery` read it: `+` is a space. Loki's
/// clients (Grafana, Python's requests) send LogQL so, and `{a="b",+c="d"}` must not be refused.
struct FormQuery {
    private var values: [String: [String]] = [:]

    init(_ request: Request) {
        self.init(query: request.uri.query ?? "")
    }

    /// A query string as sent, without its `?`.
    init(query: String) {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            values[decode(parts[0]), default: []].append(parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The first value of `name`.
    func get(_ name: String) -> String? { values[name]?.first }

    /// Every value of `name`, in order.
    func getAll(_ name: String) -> [String] { values[name] ?? [] }
}
