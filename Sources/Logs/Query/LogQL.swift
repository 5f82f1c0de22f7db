import Foundation

/// A LogQL query, as much of the language as Apus answers: stream selectors with `=`, `!=`,
/// `=~`, `!~`; line filters `|=`, `!=`, `|~`, `!~`; and the metric queries `count_over_time`,
/// `rate`, `bytes_over_time` and `bytes_rate` over a range, optionally summed by labels.
enum LogQL: Equatable, Sendable {
    case logs(Selection)
    case metric(Metric)

    /// A stream selector, the line filters after it (wherever they stand in the pipeline: no
    /// stage Apus answers changes the line), and the stages that read labels from the line and
    /// filter on labels, in their order.
    struct Selection: Equatable, Sendable {
        var matchers: [LabelMatcher]
        var filters: [LineFilter] = []
        var stages: [Stage] = []
    }

    /// A pipeline stage past the line filters.
    enum Stage: Equatable, Sendable {
        /// `| json`: every scalar field of a JSON line as a label, nested names joined by `_`.
        case json
        /// `| logfmt`: every `key=value` of a logfmt line as a label.
        case logfmt
        /// `| name op value`: keeps the lines whose labels (the stream's and those extracted
        /// so far) pass.
        case labelFilter(LabelFilter)
    }

    struct LabelFilter: Equatable, Sendable {
        enum Operator: String, Sendable {
            case equal = "="
            case notEqual = "!="
            case matches = "=~"
            case notMatches = "!~"
            case numericEqual = "=="
            case greater = ">"
            case greaterOrEqual = ">="
            case less = "<"
            case lessOrEqual = "<="
        }

        var name: String
        var op: Operator
        /// The value compared with: text for `=`, `!=`, `=~`, `!~` with a quoted string;
        /// a number otherwise (`!=` with a bare number compares numbers).
        var text: String?
        var number: Double?
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
