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
            case .contains: return Self.contains(line, filter.value)
            case .notContains: return !Self.contains(line, filter.value)
            case .matches: return Self.matches(regex!, line)
            case .notMatches: return !Self.matches(regex!, line)
            }
        }
    }

    /// The literals a line must hold to pass (each `|=`'s): a chunk whose
    /// ``ApusKit/SubstringFilter`` rules one out holds no line that passes.
    var requiredLiterals: [String] {
        lineTests.compactMap { filter, _ in filter.op == .contains && !filter.value.isEmpty ? filter.value : nil }
    }

    /// Whether `line` holds the bytes of `term`, as Loki's `|=` asks (not Swift's comparison of
    /// characters, under which a Kelvin sign is a K).
    static func contains(_ line: String, _ term: String) -> Bool {
        guard !term.isEmpty else { return true }
        var line = line
        var term = term
        return line.withUTF8 { haystack in
            term.withUTF8 { needle in
                guard needle.count <= haystack.count, let first = needle.first else { return false }
                var start = 0
                let last = haystack.count - needle.count
                while start <= last {
                    // memchr finds the candidates; memcmp checks them.
                    guard let found = memchr(haystack.baseAddress! + start, Int32(first), last - start + 1) else { return false }
                    let offset = haystack.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    if memcmp(haystack.baseAddress! + offset, needle.baseAddress!, needle.count) == 0 { return true }
                    start = offset + 1
                }
                return false
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
