/// The records of a CSV text (RFC 4180): commas separate fields, double quotes enclose them,
/// and a quoted field may hold commas, quotes written `""` and line breaks, so one record can
/// span lines. A quote opens a field only as its first character; elsewhere it is text (`TV 55"`),
/// as Python's csv reads it, so a stray quote never swallows the lines after it. Each record carries the line it starts on, so a refusal names the file's line.
struct CSVRecords: Sequence {
    /// One record.
    struct Record: Equatable {
        /// The line it starts on (1 = the first line).
        var line: Int
        var fields: [String]
        /// A quoted field that the text ends inside: the record runs to the end, unfinished.
        var unterminated = false

        /// A blank line, which is skipped but still counted.
        var isBlank: Bool { fields.allSatisfy(\.isEmpty) }
    }

    let text: String

    init(_ text: String) { self.text = text }

    func makeIterator() -> IndexingIterator<[Record]> { Self.parse(text).makeIterator() }

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
