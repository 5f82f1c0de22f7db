import Foundation

/// A LogQL query, as much of the language as Apus answers: stream selectors with `=`, `!=`,
/// `=~`, `!~`; line filters `|=`, `!=`, `|~`, `!~`; and the metric queries `count_over_time`,
/// `rate`, `bytes_over_time` and `bytes_rate` over a range, optionally summed by labels.
enum LogQL: Equatable, Sendable {
    case logs(Selection)
    case metric(Metric)

    /// A stream selector and the line filters after it.
    struct Selection: Equatable, Sendable {
        var matchers: [LabelMatcher]
        var filters: [LineFilter] = []
    }

    struct LabelMatcher: Equatable, Sendable {
        enum Operator: String, Sendable {
            case equal = "="
            case notEqual = "!="
            case matches = "=~"
            case notMatches = "!~"
        }

        var name: String
        var op: Operator
        var value: String
    }

    struct LineFilter: Equatable, Sendable {
        enum Operator: String, Sendable {
            case contains = "|="
            case notContains = "!="
            case matches = "|~"
            case notMatches = "!~"
        }

        var op: Operator
        var value: String
    }

    /// A function over each stream's lines in a sliding window, optionally summed.
    struct Metric: Equatable, Sendable {
        enum Function: String, Sendable, CaseIterable {
            case countOverTime = "count_over_time"
            case rate
            case bytesOverTime = "bytes_over_time"
            case bytesRate = "bytes_rate"
        }

        /// `sum`, `sum by (…)` or `sum without (…)` around the range function.
        enum Grouping: Equatable, Sendable {
            case none
            case sum(by: [String])
            case sumWithout([String])
        }

        var function: Function
        var selection: Selection
        /// The window, in nanoseconds.
        var range: Int64
        var grouping: Grouping = .none
    }
}

/// A query that is not LogQL Apus understands, with where it went wrong (Loki's wording).
struct LogQLError: Error, CustomStringConvertible, Equatable {
    let column: Int
    let message: String

    var description: String { "parse error at line 1, col \(column): \(message)" }
}
