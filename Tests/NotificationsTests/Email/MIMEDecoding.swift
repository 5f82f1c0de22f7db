import Foundation

/// Decoders for what `MIMEEncoding` writes, so tests can check that encoding loses nothing.
enum MIMEDecoding {
    /// The bytes a quoted-printable text stands for: soft breaks removed, `=XX` decoded,
    /// hard breaks kept as CRLF.
    static func quotedPrintable(_ encoded: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        let input = Array(encoded.utf8)
        var index = 0
        while index < input.count {
            let byte = input[index]
            guard byte == UInt8(ascii: "=") else {
                bytes.append(byte)
                index += 1
                continue
            }
            if index + 2 < input.count, input[index + 1] == UInt8(ascii: "\r"), input[index + 2] == UInt8(ascii: "\n") {
                index += 3
                continue
            }
            guard index + 2 < input.count, let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2]) else {
                return nil
            }
            bytes.append(high << 4 | low)
            index += 3
        }
        return bytes
    }

    /// The text of a header value made of RFC 2047 `=?UTF-8?B?…?=` words separated by
    /// whitespace; `nil` when a word is not one or its bytes are not UTF-8 on their own.
    static func encodedWords(_ value: String) -> String? {
        var text = ""
        for word in value.split(whereSeparator: { $0 == " " || $0 == "\r" || $0 == "\n" }) {
            guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?="), word.count <= 75 else { return nil }
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            guard let data = Data(base64Encoded: String(base64)),
                  let chunk = String(data: data, encoding: .utf8)
            else { return nil }
            text += chunk
        }
        return text
    }

    /// A header field with its folding removed (RFC 5322 section 2.2.3).
    static func unfolded(_ field: String) -> String {
        field.replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\r\n\t", with: "\t")
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
