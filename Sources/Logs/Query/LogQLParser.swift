import Foundation

/// Reads LogQL text into a ``LogQL`` by recursive descent; errors name the column.
struct LogQLParser {
    private let text: [Character]
    private var position = 0

    static func parse(_ query: String) throws(LogQLError) -> LogQL {
        var parser = LogQLParser(text: Array(query))
        let result = try parser.query()
        parser.skipSpace()
        guard parser.position == parser.text.count else { throw parser.error("unexpected \(parser.remainderPreview)") }
        return result
    }

    private init(text: [Character]) {
        self.text = text
    }

    private mutating func query() throws(LogQLError) -> LogQL {
        skipSpace()
        if peek() == "{" { return .logs(try selection()) }
        let word = identifier()
        if word == "sum" {
            skipSpace()
            var grouping = LogQL.Metric.Grouping.sum(by: [])
            if let clause = try groupingClause() { grouping = clause }
            try expect("(")
            var metric = try rangeFunction(named: identifier())
            try expect(")")
            if case .sum(by: let labels) = grouping, labels.isEmpty, let clause = try groupingClause() { grouping = clause }
            metric.grouping = grouping
            return .metric(metric)
        }
        guard !word.isEmpty else { throw error("syntax error: a query starts with a stream selector '{…}' or a function") }
        return .metric(try rangeFunction(named: word))
    }

    private mutating func groupingClause() throws(LogQLError) -> LogQL.Metric.Grouping? {
        skipSpace()
        let start = position
        let word = identifier()
        guard word == "by" || word == "without" else {
            position = start
            return nil
        }
        try expect("(")
        var labels: [String] = []
        skipSpace()
        while peek() != ")" {
            let label = identifier()
            guard !label.isEmpty else { throw error("expected a label name") }
            labels.append(label)
            skipSpace()
            if peek() == "," { position += 1; skipSpace() }
        }
        try expect(")")
        return word == "by" ? .sum(by: labels) : .sumWithout(labels)
    }

    private mutating func rangeFunction(named name: String) throws(LogQLError) -> LogQL.Metric {
        guard let function = LogQL.Metric.Function(rawValue: name) else {
            throw error(name.isEmpty ? "expected a function" : "unsupported function '\(name)'")
        }
        try expect("(")
        skipSpace()
        let selection = try self.selection()
        try expect("[")
        let range = try duration()
        try expect("]")
        try expect(")")
        return LogQL.Metric(function: function, selection: selection, range: range)
    }

    private mutating func selection() throws(LogQLError) -> LogQL.Selection {
        try expect("{")
        var matchers: [LogQL.LabelMatcher] = []
        skipSpace()
        while peek() != "}" {
            let name = identifier()
            guard !name.isEmpty else { throw error("expected a label name") }
            skipSpace()
            let op: LogQL.LabelMatcher.Operator
            switch (peek(), peek(1)) {
            case ("=", "~"): op = .matches; position += 2
            case ("!", "~"): op = .notMatches; position += 2
            case ("!", "="): op = .notEqual; position += 2
            case ("=", _): op = .equal; position += 1
            default: throw error("expected one of =, !=, =~, !~ after \(name)")
            }
            skipSpace()
            let start = position
            let value = try string()
            if op == .matches || op == .notMatches { try checkRegex(value, at: start, anchored: true) }
            matchers.append(.init(name: name, op: op, value: value))
            skipSpace()
            if peek() == "," { position += 1; skipSpace() } else if peek() != "}" { throw error("expected , or } in the stream selector") }
        }
        position += 1
        // Loki's rule: a selector must match something, so one matcher must not match "".
        guard matchers.contains(where: { !Self.matchesEmpty($0) }) else {
            throw error("queries require at least one regexp or equality matcher that does not have an empty-compatible value")
        }
        var filters: [LogQL.LineFilter] = []
        var stages: [LogQL.Stage] = []
        while true {
            skipSpace()
            let op: LogQL.LineFilter.Operator
            switch (peek(), peek(1)) {
            case ("|", "="): op = .contains
            case ("!", "="): op = .notContains
            case ("|", "~"): op = .matches
            case ("!", "~"): op = .notMatches
            case ("|", _):
                position += 1
                stages.append(try stage())
                continue
            default: return LogQL.Selection(matchers: matchers, filters: filters, stages: stages)
            }
            position += 2
            skipSpace()
            let start = position
            let value = try string()
            if op == .matches || op == .notMatches { try checkRegex(value, at: start) }
            filters.append(.init(op: op, value: value))
        }
    }

    /// Stages Loki has and Apus does not answer: named, so they are not read as label filters.
    static let unsupportedStages: Set<String> = [
        "line_format", "label_format", "unwrap", "pattern", "regexp", "unpack", "drop", "keep", "decolorize", "distinct",
    ]

    /// What follows a `|` that is not a line filter: `json`, `logfmt` or a label filter.
    private mutating func stage() throws(LogQLError) -> LogQL.Stage {
        skipSpace()
        let start = position
        let name = identifier()
        guard !name.isEmpty else { throw error("expected a pipeline stage after |") }
        if Self.unsupportedStages.contains(name) {
            throw LogQLError(column: start + 1, message: "unsupported pipeline stage '\(name)': Apus answers line filters, json, logfmt and label filters")
        }
        skipSpace()
        if name == "json" || name == "logfmt" {
            // Loki's `| json name="expression"` picks fields; Apus extracts them all.
            if let next = peek(), next.isLetter || next == "_" {
                throw error("\(name) with parameters is not supported: use '| \(name)' and filter on the labels it extracts")
            }
            return name == "json" ? .json : .logfmt
        }
        let op: LogQL.LabelFilter.Operator
        switch (peek(), peek(1)) {
        case ("=", "~"): op = .matches; position += 2
        case ("!", "~"): op = .notMatches; position += 2
        case ("!", "="): op = .notEqual; position += 2
        case ("=", "="): op = .numericEqual; position += 2
        case (">", "="): op = .greaterOrEqual; position += 2
        case ("<", "="): op = .lessOrEqual; position += 2
        case ("=", _): op = .equal; position += 1
        case (">", _): op = .greater; position += 1
        case ("<", _): op = .less; position += 1
        default: throw error("expected a comparison (=, !=, =~, !~, ==, >, >=, <, <=) after the label \(name)")
        }
        skipSpace()
        let valueStart = position
        var filter = LogQL.LabelFilter(name: name, op: op)
        if let quote = peek(), quote == "\"" || quote == "`" {
            guard [.equal, .notEqual, .matches, .notMatches].contains(op) else { throw error("\(op.rawValue) compares numbers: write the value without quotes") }
            filter.text = try string()
            if op == .matches || op == .notMatches { try checkRegex(filter.text!, at: valueStart, anchored: true) }
        } else {
            guard op != .equal, op != .matches, op != .notMatches else { throw error("\(op.rawValue) compares text: quote the value") }
            var literal = ""
            while let character = peek(), character.isNumber || character == "." || character == "-" || character == "+" || character == "e" || character == "E" {
                literal.append(character)
                position += 1
            }
            guard let number = Double(literal), number.isFinite else { throw LogQLError(column: valueStart + 1, message: "expected a number or a quoted string") }
            filter.number = number
        }
        skipSpace()
        let after = position
        let word = identifier()
        if word == "and" || word == "or" {
            throw LogQLError(column: after + 1, message: "combining label filters with '\(word)' is not supported: chain them with |")
        }
        position = after
        return .labelFilter(filter)
    }

    private static func matchesEmpty(_ matcher: LogQL.LabelMatcher) -> Bool {
        switch matcher.op {
        case .equal: matcher.value.isEmpty
        case .notEqual: !matcher.value.isEmpty
        case .matches: LineMatcher.fullMatch(matcher.value, "")
        case .notMatches: !LineMatcher.fullMatch(matcher.value, "")
        }
    }

    /// Refuses a pattern that will not compile as it will run: label matchers and filters are
    /// anchored (`^(?:…)$`), which a pattern such as `\\Qx` breaks although it compiles alone.
    private func checkRegex(_ pattern: String, at start: Int, anchored: Bool = false) throws(LogQLError) {
        let compiled = anchored ? "^(?:\(pattern))$" : pattern
        guard (try? NSRegularExpression(pattern: compiled, options: anchored ? [.dotMatchesLineSeparators] : [])) != nil else { throw LogQLError(column: start + 1, message: "invalid regular expression \(LabelSet.quoted(pattern))") }
    }

    /// A duration such as `5m`, `1h30m`, `30s`, `250ms`, in nanoseconds.
    private mutating func duration() throws(LogQLError) -> Int64 {
        skipSpace()
        var total: Int64 = 0
        var any = false
        while let digit = peek(), digit.isASCII, digit.isNumber {
            var number: Int64 = 0
            while let digit = peek(), digit.isASCII, let value = digit.wholeNumberValue {
                guard number < 1_000_000 else { throw error("the duration is too long") }
                number = number * 10 + Int64(value)
                position += 1
            }
            let unit: Int64
            switch (peek(), peek(1)) {
            case ("m", "s"): unit = 1_000_000; position += 2
            case ("s", _): unit = 1_000_000_000; position += 1
            case ("m", _): unit = 60_000_000_000; position += 1
            case ("h", _): unit = 3_600_000_000_000; position += 1
            case ("d", _): unit = 86_400_000_000_000; position += 1
            case ("w", _): unit = 604_800_000_000_000; position += 1
            default: throw error("a duration needs a unit (ms, s, m, h, d, w)")
            }
            total += number * unit
            any = true
        }
        guard any, total > 0 else { throw error("expected a duration such as 5m") }
        skipSpace()
        return total
    }

    private mutating func string() throws(LogQLError) -> String {
        guard let quote = peek(), quote == "\"" || quote == "`" else { throw error("expected a quoted string") }
        position += 1
        var value = ""
        while let character = peek() {
            position += 1
            if character == quote { return value }
            if quote == "\"", character == "\\" {
                guard let escaped = peek() else { break }
                position += 1
                switch escaped {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "\\", "\"": value.append(escaped)
                default: value.append("\\"); value.append(escaped)
                }
            } else {
                value.append(character)
            }
        }
        throw error("the string is not closed")
    }

    private mutating func identifier() -> String {
        var name = ""
        while let character = peek(), character.isASCII, character.isLetter || character.isNumber || character == "_" {
            if name.isEmpty, character.isNumber { break }
            name.append(character)
            position += 1
        }
        return name
    }

    private mutating func expect(_ character: Character) throws(LogQLError) {
        skipSpace()
        guard peek() == character else { throw error("expected '\(character)'\(position < text.count ? ", found \(remainderPreview)" : " at the end")") }
        position += 1
    }

    private mutating func skipSpace() {
        while let character = peek(), character.isWhitespace { position += 1 }
    }

    private func peek(_ offset: Int = 0) -> Character? {
        position + offset < text.count ? text[position + offset] : nil
    }

    private var remainderPreview: String {
        "'" + String(text[position..<min(text.count, position + 12)]) + "'"
    }

    private func error(_ message: String) -> LogQLError {
        LogQLError(column: position + 1, message: message)
    }
}
