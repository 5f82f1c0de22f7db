import ApusCore
import Foundation

/// Where a published entry lives on the site: the public URL and the type's `url_pattern` with
/// `{slug}`, `{id}` and `{locale}` filled in, each percent-encoded as a path segment.
enum SiteURL {
    static func make(base: String, pattern: String, id: String, locale: String, slug: String?) -> String? {
        SiteURLPattern(pattern).url(base: base, id: id, locale: locale, slug: slug)
    }

    /// `text` safe as one path segment.
    static func segment(_ text: String) -> String {
        // Most slugs and ids need nothing: hand them back as they are.
        guard text.utf8.contains(where: { !isUnreserved($0) }) else { return text }
        var encoded: [UInt8] = []
        encoded.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            if isUnreserved(byte) {
                encoded.append(byte)
            } else {
                encoded.append(UInt8(ascii: "%"))
                encoded.append(upperHexDigits[Int(byte >> 4)])
                encoded.append(upperHexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// RFC 3986 asks for upper-case digits in percent-encoding.
    private static let upperHexDigits = Array("0123456789ABCDEF".utf8)

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// `text` as XML character data or an attribute value.
    static func xmlEscaped(_ text: String) -> String {
        // A URL made of encoded segments usually has nothing to escape.
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">")
            || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") })
        else { return text }
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

/// A type's `url_pattern`, split once into its text and the placeholders it names, so a sitemap
/// of many URLs fills it in without searching the pattern for each.
struct SiteURLPattern: Sendable {
    enum Part: Sendable, Equatable {
        case text(String)
        case slug, id, locale
    }

    let parts: [Part]

    init(_ pattern: String) {
        var parts: [Part] = []
        var text = Substring(pattern)
        while let open = text.firstIndex(of: "{") {
            let rest = text[open...]
            let placeholder: (Part, Int)? =
                rest.hasPrefix("{slug}") ? (.slug, 6) : rest.hasPrefix("{id}") ? (.id, 4) : rest.hasPrefix("{locale}") ? (.locale, 8) : nil
            guard let (part, length) = placeholder else {
                // A brace that opens no placeholder is text.
                Self.append(String(text[...open]), to: &parts)
                text = text[text.index(after: open)...]
                continue
            }
            Self.append(String(text[..<open]), to: &parts)
            parts.append(part)
            text = text[text.index(open, offsetBy: length)...]
        }
        Self.append(String(text), to: &parts)
        self.parts = parts
    }

    private static func append(_ text: String, to parts: inout [Part]) {
        guard !text.isEmpty else { return }
        if case .text(let previous)? = parts.last {
            parts[parts.count - 1] = .text(previous + text)
        } else {
            parts.append(.text(text))
        }
    }

    /// The entry's URL under `base`; `nil` when the pattern needs a slug the entry lacks.
    func url(base: String, id: String, locale: String, slug: String?) -> String? {
        var url = base
        for part in parts {
            switch part {
            case .text(let text): url += text
            case .id: url += SiteURL.segment(id)
            case .locale: url += SiteURL.segment(locale)
            case .slug:
                guard let slug else { return nil }
                url += SiteURL.segment(slug)
            }
        }
        return url
    }
}
