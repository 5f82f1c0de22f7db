/// The records of a CSV text (RFC 4180): commas separate fields, double quotes enclose them,
/// and a quoted field may hold commas, quotes written `""` and line breaks, so one record can
/// span lines. A quote opens a field only as its first character; elsewhere it is text (`TV 55"`),
/// as Python's csv reads it, so a stray quote never swallows the lines after it. Each record
/// carries the line it starts on, so a refusal names the file's line. Imports read it
/// (`apus inventory import`, `apus recs import`).
public struct CSVRecords: Sequence {
    /// One record.
    public struct Record: Equatable, Sendable {
        /// The line it starts on (1 = the first line).
        public var line: Int
        public var fields: [String]
        /// A quoted field that the text ends inside: the record runs to the end, unfinished.
        public var unterminated = false

        public init(line: Int, fields: [String], unterminated: Bool = false) {
            self.line = line
            self.fields = fields
            self.unterminated = unterminated
        }

        /// A blank line, which is skipped but still counted.
        public var isBlank: Bool { fields.allSatisfy(\.isEmpty) }
    }

    let text: String

    public init(_ text: String) { self.text = text }

    public func makeIterator() -> IndexingIterator<[Record]> { Self.parse(text).makeIterator() }

    private static func parse(_ text: String) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var current = ""
        var quoted = false
        // Whether the field being read was quoted (then its text has begun with the quote).
        var fieldStarted = false
        var line = 1
        var start = 1
        var iterator = text.makeIterator()
        var pending = iterator.next()
        func endRecord() {
            fields.append(current)
            records.append(Record(line: start, fields: fields))
            fields = []
            current = ""
            fieldStarted = false
        }
        while let character = pending {
            pending = iterator.next()
            if quoted {
                if character == "\"" {
                    if pending == "\"" {
                        current.append("\"")
                        pending = iterator.next()
                    } else {
                        quoted = false
                    }
                } else {
                    if character.isNewline { line += 1 }
                    current.append(character)
                }
            } else if character == "\"", !fieldStarted {
                quoted = true
                fieldStarted = true
            } else if character == "," {
                fields.append(current)
                current = ""
                fieldStarted = false
            } else if character.isNewline {
                endRecord()
                line += 1
                start = line
            } else {
                current.append(character)
                fieldStarted = true
            }
        }
        if quoted {
            fields.append(current)
            records.append(Record(line: start, fields: fields, unterminated: true))
        } else if !(fields.isEmpty && current.isEmpty) || records.isEmpty {
            endRecord()
        }
        return records
    }
}
