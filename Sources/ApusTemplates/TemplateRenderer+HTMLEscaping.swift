import Mustache

extension TemplateRenderer {
    /// HTML escaping by byte rather than by `Character`, as swift-mustache does it: a quote
    /// followed by a combining mark is one `Character` the library does not recognise and writes
    /// as it is, yet a browser still ends the attribute value at the quote.
    struct HTMLEscaping: MustacheContentType {
        /// The name the `CONTENT_TYPE` pragma selects it by.
        static let name = "APUS_HTML"

        /// `text` with `<`, `>`, `&`, `"` and `'` replaced by character references.
        func escapeText(_ text: String) -> String {
            var output: [UInt8] = []
            output.reserveCapacity(text.utf8.count)
            for byte in text.utf8 {
                if let replacement = Self.replacement(for: byte) {
                    output += replacement.utf8
                } else {
                    output.append(byte)
                }
            }
            return String(decoding: output, as: UTF8.self)
        }

        /// The UTF-8 length of `escapeText(text)`, without building it.
        static func escapedLength(_ text: String) -> Int {
            text.utf8.reduce(0) { $0 + (replacement(for: $1)?.utf8.count ?? 1) }
        }

        // Only ASCII bytes are replaced, and those never occur inside a multi-byte character.
        private static func replacement(for byte: UInt8) -> String? {
            switch byte {
            case UInt8(ascii: "<"): "&lt;"
            case UInt8(ascii: ">"): "&gt;"
            case UInt8(ascii: "&"): "&amp;"
            case UInt8(ascii: "\""): "&quot;"
            case UInt8(ascii: "'"): "&#39;"
            default: nil
            }
        }
    }
}
