import ApusCore
import Foundation

/// Where a published entry lives on the site: the public URL and the type's `url_pattern` with
/// `{slug}`, `{id}` and `{locale}` filled in, each percent-encoded as a path segment.
enum SiteURL {
    static func make(base: String, pattern: String, id: String, locale: String, slug: String?) -> String? {
        var path = pattern
        if path.contains("{slug}") {
            guard let slug else { return nil }
            path = path.replacingOccurrences(of: "{slug}", with: segment(slug))
        }
        path = path.replacingOccurrences(of: "{id}", with: segment(id)).replacingOccurrences(of: "{locale}", with: segment(locale))
        return base + path
    }

    /// `text` safe as one path segment.
    static func segment(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }

    /// `text` as XML character data or an attribute value.
    static func xmlEscaped(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default:
                // Characters XML 1.0 cannot hold at all are left out.
                if scalar.value < 0x20, scalar != "\t", scalar != "\n", scalar != "\r" { continue }
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
