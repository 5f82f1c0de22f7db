import Foundation

/// The compiled form of a selection's matchers and filters, made once per query.
struct LineMatcher {
    private let labelTests: [(LogQL.LabelMatcher, NSRegularExpression?)]
    private let lineTests: [(LogQL.LineFilter, NSRegularExpression?)]

    init(_ selection: LogQL.Selection) throws {
        labelTests = try selection.matchers.map { matcher in
            switch matcher.op {
            case .matches, .notMatches: (matcher, try NSRegularExpression(pattern: "^(?:\(matcher.value))$", options: [.dotMatchesLineSeparators]))
            case .equal, .notEqual: (matcher, nil)
            }
        }
        lineTests = try selection.filters.map { filter in
            switch filter.op {
            case .matches, .notMatches: (filter, try NSRegularExpression(pattern: filter.value))
            case .contains, .notContains: (filter, nil)
            }
        }
    }

    /// Whether a stream with `labels` is selected (a label it lacks has the value "").
    func selects(_ labels: LabelSet) -> Bool {
        labelTests.allSatisfy { matcher, regex in
            let value = labels[matcher.name] ?? ""
            switch matcher.op {
            case .equal: return value == matcher.value
            case .notEqual: return value != matcher.value
            case .matches: return Self.matches(regex!, value)
            case .notMatches: return !Self.matches(regex!, value)
            }
        }
    }

    /// Whether `line` passes every line filter.
    func keeps(_ line: String) -> Bool {
        lineTests.allSatisfy { filter, regex in
            switch filter.op {
            case .contains: return filter.value.isEmpty || line.contains(filter.value)
            case .notContains: return filter.value.isEmpty || !line.contains(filter.value)
            case .matches: return Self.matches(regex!, line)
            case .notMatches: return !Self.matches(regex!, line)
            }
        }
    }

    private static func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Whether `pattern`, anchored at both ends, matches all of `text` (label matchers are).
    static func fullMatch(_ pattern: String, _ text: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$", options: [.dotMatchesLineSeparators]) else { return false }
        return matches(regex, text)
    }
}
