public import NIOCore

/// A string written as a JSON string literal (RFC 8259 §7): quotes, backslashes and control
/// characters escaped, everything else as it is. For answers a route writes straight into bytes
/// because their shape is fixed and Foundation's encoder would cost more than the rest of the
/// request.
public enum JSONStringLiteral {
    /// `text` quoted and escaped.
    public static func quoted(_ text: String) -> String {
        if !needsEscaping(text) { return "\"" + text + "\"" }
        var buffer = ByteBuffer()
        buffer.writeJSONStringLiteral(text)
        return String(buffer: buffer)
    }

    static func needsEscaping(_ text: String) -> Bool {
        text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
    }
}

extension ByteBuffer {
    /// Writes `text` as a JSON string literal, quotes included.
    public mutating func writeJSONStringLiteral(_ text: String) {
        writeInteger(UInt8(ascii: "\""))
        if !JSONStringLiteral.needsEscaping(text) {
            writeString(text)
        } else {
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    writeInteger(UInt8(ascii: "\\"))
                    writeInteger(byte)
                case UInt8(ascii: "\n"): writeStaticString("\\n")
                case UInt8(ascii: "\r"): writeStaticString("\\r")
                case UInt8(ascii: "\t"): writeStaticString("\\t")
                case ..<0x20:
                    let hex: StaticString = "0123456789abcdef"
                    writeStaticString("\\u00")
                    writeInteger(hex.utf8Start[Int(byte >> 4)])
                    writeInteger(hex.utf8Start[Int(byte & 0x0F)])
                default:
                    // UTF-8 beyond ASCII stays as it is: JSON text is UTF-8.
                    writeInteger(byte)
                }
            }
        }
        writeInteger(UInt8(ascii: "\""))
    }
}
