import Foundation

/// The encodings that keep a message 7-bit ASCII with short lines, so any SMTP server relays it
/// unchanged: quoted-printable bodies (RFC 2045) and encoded-word headers (RFC 2047).
enum MIMEEncoding {
    /// The longest encoded line quoted-printable allows, not counting CRLF.
    static let quotedPrintableLineLimit = 76
    /// The line length headers are folded to when they can be.
    static let headerLineLimit = 78

    /// Encodes `text` as UTF-8 quoted-printable with CRLF line breaks.
    ///
    /// Line breaks of any style (CRLF, LF, CR) become CRLF hard breaks; lines longer than 76
    /// characters get soft breaks (`=` at the end of the line); `=`, control characters,
    /// non-ASCII bytes and whitespace at the end of a line are written as `=XX`.
    static func quotedPrintable(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        for (index, line) in hardLines(text).enumerated() {
            if index > 0 { output += "\r\n" }
            appendQuotedPrintable(line, to: &output)
        }
        return output
    }

    /// `text` as RFC 2047 encoded words (`=?UTF-8?B?…?=`) of whole characters, to be joined
    /// with spaces or folding whitespace.
    static func encodedWords(_ text: String) -> [String] {
        // 39 bytes make 52 base64 characters, 64 with `=?UTF-8?B?` and `?=`: short enough that
        // a header name of up to 10 characters and one word stay within the 76 characters
        // RFC 2047 allows on a line holding encoded words.
        let maximumBytes = 39
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > maximumBytes {
                words.append(encodedWord(chunk))
                chunk.removeAll(keepingCapacity: true)
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(encodedWord(chunk)) }
        return words
    }

    /// An unstructured header value (such as `Subject`): unchanged when it is printable ASCII,
    /// otherwise encoded words separated by spaces.
    static func unstructured(_ text: String) -> String {
        needsEncoding(text) ? encodedWords(text).joined(separator: " ") : text
    }

    /// A display name for `From` or `To`: bare when it is plain words, quoted when it holds
    /// punctuation, encoded words when it is not printable ASCII.
    static func phrase(_ text: String) -> String {
        if needsEncoding(text) { return encodedWords(text).joined(separator: " ") }
        // Letters, digits, spaces and RFC 5322 atext symbols need no quoting.
        let atext = "!#$%&'*+-/=?^_`{|}~ ".unicodeScalars
        let isPlainWords = text.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || atext.contains($0)
        }
        if isPlainWords { return text }
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    /// `name: value` ending in CRLF, folded at spaces so lines stay within 78 characters where
    /// the value allows. Folding inserts CRLF before an existing space, so unfolding restores
    /// the value exactly.
    static func headerField(_ name: String, _ value: String) -> String {
        var output = name + ":"
        var lineLength = output.utf8.count
        for (index, token) in value.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            let tokenLength = token.utf8.count
            // The first token always stays on the name's line; a break there would leave an
            // empty first line, which some parsers reject. Nor is there a break before the empty
            // token between two spaces: the line after it could hold nothing but that space,
            // which RFC 5322 section 3.2.2 only allows as obsolete syntax.
            if index > 0, !token.isEmpty, lineLength + 1 + tokenLength > headerLineLimit {
                output += "\r\n"
                lineLength = 0
            }
            output += " " + token
            lineLength += 1 + tokenLength
        }
        return output + "\r\n"
    }

    /// Whether a header text must be encoded: anything outside printable ASCII, text a reader
    /// would take for an encoded word, or a word too long to fold under the 998-character limit.
    private static func needsEncoding(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || $0.value > 0x7E }
            || text.contains("=?")
            || text.split(separator: " ").contains { $0.utf8.count > 900 }
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }

    /// The lines of `text` as UTF-8 bytes, split at CRLF, LF or a lone CR.
    private static func hardLines(_ text: String) -> [ArraySlice<UInt8>] {
        let bytes = Array(text.utf8)
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\r"):
                lines.append(bytes[start..<index])
                index += (index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n")) ? 2 : 1
                start = index
            case UInt8(ascii: "\n"):
                lines.append(bytes[start..<index])
                index += 1
                start = index
            default:
                index += 1
            }
        }
        lines.append(bytes[start..<bytes.count])
        return lines
    }

    private static func appendQuotedPrintable(_ line: ArraySlice<UInt8>, to output: inout String) {
        var lineLength = 0
        for index in line.indices {
            let byte = line[index]
            let isLast = index == line.index(before: line.endIndex)
            let isWhitespace = byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
            let isLiteral = (byte >= 0x21 && byte <= 0x7E && byte != UInt8(ascii: "=")) || (isWhitespace && !isLast)
            let token = isLiteral ? String(UnicodeScalar(byte)) : hexEscape(byte)
            // Leave room for the `=` of a soft break unless this is the line's last token.
            let limit = isLast ? quotedPrintableLineLimit : quotedPrintableLineLimit - 1
            if lineLength + token.utf8.count > limit {
                output += "=\r\n"
                lineLength = 0
            }
            output += token
            lineLength += token.utf8.count
        }
    }

    private static func hexEscape(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [UInt8(ascii: "="), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }
}
