/// A stream's labels: names and values, kept sorted by name, so one set of labels is one stream
/// whatever order a shipper sends them in.
struct LabelSet: Hashable, Sendable, CustomStringConvertible {
    private(set) var pairs: [(name: String, value: String)]

    /// Why a set of labels is refused.
    enum Refusal: Error, Equatable {
        case badName(String)
        case empty
        case duplicate(String)
        case tooMany(Int)
        /// A value holding NUL, which PostgreSQL's text cannot store.
        case nul(String)
    }

    init(_ labels: [(String, String)], maxLabels: Int) throws(Refusal) {
        guard !labels.isEmpty else { throw .empty }
        guard labels.count <= maxLabels else { throw .tooMany(maxLabels) }
        let sorted = labels.sorted { $0.0 < $1.0 }
        for (index, (name, value)) in sorted.enumerated() {
            guard Self.isName(name) else { throw .badName(name) }
            guard !value.utf8.contains(0) else { throw .nul(name) }
            if index > 0, sorted[index - 1].0 == name { throw .duplicate(name) }
        }
        pairs = sorted.map { (name: $0.0, value: $0.1) }
    }

    /// A set read back from storage, already checked.
    init(canonical pairs: [(String, String)]) {
        self.pairs = pairs.map { (name: $0.0, value: $0.1) }
    }

    /// The value of `name`, if the stream has it.
    subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// Prometheus-style label names: a letter or underscore, then letters, digits, underscores.
    static func isName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == 0x5F || (first | 0x20 >= 0x61 && first | 0x20 <= 0x7A) else { return false }
        return name.utf8.allSatisfy { $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
    }

    /// A label name made of any name (a JSON field, a syslog SD-PARAM): what a label name cannot
    /// hold becomes `_`, and a leading digit gets a `_` before it.
    static func sanitizedName(_ name: String) -> String {
        var out = String(String.UnicodeScalarView(name.unicodeScalars.map { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_") ? scalar : "_"
        }))
        if let first = out.unicodeScalars.first, ("0"..."9").contains(first) { out = "_" + out }
        return out
    }

    /// `{app="api", level="error"}`: the stream's key in storage and how Loki prints it.
    var description: String {
        "{" + pairs.map { "\($0.name)=\(Self.quoted($0.value))" }.joined(separator: ", ") + "}"
    }

    static func quoted(_ value: String) -> String {
        var out = "\""
        for character in value {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    static func == (lhs: LabelSet, rhs: LabelSet) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    func hash(into hasher: inout Hasher) {
        for pair in pairs {
            hasher.combine(pair.name)
            hasher.combine(pair.value)
        }
    }
}
