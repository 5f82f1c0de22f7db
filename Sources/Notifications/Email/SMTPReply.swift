/// A complete server reply: a three-digit code and one or more lines of text (RFC 5321
/// section 4.2). Multi-line replies arrive as `250-first`, `250-second`, `250 last`.
struct SMTPReply: Sendable, Equatable {
    /// The reply code, such as 250 or 550.
    var code: Int
    /// The text of each line, without the code and separator.
    var lines: [String]

    /// Creates a reply.
    init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// The text of all lines joined with spaces, as shown in errors and logs.
    var text: String { lines.joined(separator: " ") }

    /// 2xx: the command succeeded.
    var isPositiveCompletion: Bool { (200..<300).contains(code) }
    /// 3xx: the server waits for more input (DATA, AUTH challenges).
    var isPositiveIntermediate: Bool { (300..<400).contains(code) }
    /// 4xx: a temporary failure; the same command may succeed later.
    var isTransientFailure: Bool { (400..<500).contains(code) }
    /// 5xx: a permanent failure; repeating the command will not help.
    var isPermanentFailure: Bool { (500..<600).contains(code) }

    /// The RFC 3463 enhanced status code at the start of the text, such as `5.1.1`, if the
    /// server sends one.
    var enhancedStatus: String? {
        guard let first = lines.first?.split(separator: " ", maxSplits: 1).first else { return nil }
        let parts = first.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              ["2", "4", "5"].contains(parts[0]),
              parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        return String(first)
    }
}

extension SMTPReply: CustomStringConvertible {
    /// The code and text, such as `550 5.1.1 No such user`.
    var description: String { "\(code) \(text)" }
}

/// One line of a reply as it arrives, before the lines are gathered into an `SMTPReply`.
struct SMTPReplyLine: Sendable, Equatable {
    /// The line's three-digit code.
    var code: Int
    /// Whether this is the reply's last line (`250 ` rather than `250-`).
    var isLast: Bool
    /// The text after the code and separator.
    var text: String

    /// Parses `ddd text`, `ddd-text` or a bare `ddd`; `nil` when the line is not a reply line.
    init?(_ line: String) {
        let utf8 = Array(line.utf8)
        guard utf8.count >= 3,
              (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(utf8[0]),
              utf8[1...2].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        code = utf8[0...2].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        if utf8.count == 3 {
            isLast = true
            text = ""
            return
        }
        switch utf8[3] {
        case UInt8(ascii: " "): isLast = true
        case UInt8(ascii: "-"): isLast = false
        default: return nil
        }
        text = String(decoding: utf8[4...], as: UTF8.self)
    }
}
