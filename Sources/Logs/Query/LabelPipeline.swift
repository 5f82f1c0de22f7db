import ApusCore
import Foundation

/// The stages of a selection that read labels out of lines and filter on labels (`| json`,
/// `| logfmt`, `| status >= 500`), compiled once per query and run on each line the line
/// filters kept. Extracted labels join the stream's, as Loki's do: a name the stream already
/// has gets `_extracted`, a line the parser cannot read gets `__error__` (`JSONParserErr`,
/// `LogfmtParserErr`) and stays, so `| __error__=""` drops such lines.
struct LabelPipeline {
    private enum Compiled {
        case json
        case logfmt
        case filter(LogQL.LabelFilter, NSRegularExpression?)
    }

    private let stages: [Compiled]

    var isEmpty: Bool { stages.isEmpty }

    init(_ stages: [LogQL.Stage]) throws {
        self.stages = try stages.map { stage in
            switch stage {
            case .json: .json
            case .logfmt: .logfmt
            case .labelFilter(let filter):
                switch filter.op {
                case .matches, .notMatches: .filter(filter, try NSRegularExpression(pattern: "^(?:\(filter.text ?? ""))$", options: [.dotMatchesLineSeparators]))
                default: .filter(filter, nil)
                }
            }
        }
    }

    /// The line's labels after every stage, or `nil` when a filter drops it.
    func run(_ line: String, labels stream: LabelSet) -> LabelSet? {
        var labels: [String: String] = [:]
        for pair in stream.pairs { labels[pair.name] = pair.value }
        let original = Set(labels.keys)
        for stage in stages {
            switch stage {
            case .json:
                guard let fields = Self.jsonFields(line) else {
                    labels["__error__"] = "JSONParserErr"
                    continue
                }
                Self.add(fields, to: &labels, original: original)
            case .logfmt:
                guard let fields = Logfmt.fields(line) else {
                    labels["__error__"] = "LogfmtParserErr"
                    continue
                }
                Self.add(fields, to: &labels, original: original)
            case .filter(let filter, let regex):
                guard Self.passes(filter, regex, labels[filter.name] ?? "") else { return nil }
            }
        }
        return LabelSet(canonical: labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    private static func add(_ fields: [(String, String)], to labels: inout [String: String], original: Set<String>) {
        for (name, value) in fields {
            let sanitized = LabelSet.sanitizedName(name)
            guard !sanitized.isEmpty else { continue }
            labels[original.contains(sanitized) ? sanitized + "_extracted" : sanitized] = value
        }
    }

    private static func passes(_ filter: LogQL.LabelFilter, _ regex: NSRegularExpression?, _ value: String) -> Bool {
        if let text = filter.text {
            switch filter.op {
            case .equal: return value == text
            case .notEqual: return value != text
            case .matches, .notMatches:
                let matched = regex!.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
                return matched == (filter.op == .matches)
            default: return false
            }
        }
        // A value that is no number fails a numeric comparison.
        guard let number = filter.number, let actual = Double(value) else { return false }
        switch filter.op {
        case .numericEqual: return actual == number
        case .notEqual: return actual != number
        case .greater: return actual > number
        case .greaterOrEqual: return actual >= number
        case .less: return actual < number
        case .lessOrEqual: return actual <= number
        default: return false
        }
    }

    /// Every scalar of a JSON object line, nested names joined by `_` (arrays are skipped, as
    /// Loki's parser does); `nil` when the line is not a JSON object.
    static func jsonFields(_ line: String) -> [(String, String)]? {
        guard case .object(let object)? = try? JSONValue(parsing: Array(line.utf8), maximumDepth: 64) else { return nil }
        var fields: [(String, String)] = []
        func walk(_ object: [String: JSONValue], prefix: String) {
            for (name, value) in object {
                let key = prefix.isEmpty ? name : prefix + "_" + name
                switch value {
                case .string(let text): fields.append((key, text))
                case .number(let number): fields.append((key, number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)))
                case .bool(let flag): fields.append((key, flag ? "true" : "false"))
                case .null: fields.append((key, ""))
                case .object(let inner): walk(inner, prefix: key)
                case .array: continue
                }
            }
        }
        walk(object, prefix: "")
        return fields
    }
}
