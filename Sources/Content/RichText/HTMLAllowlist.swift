/// Keeps what Markdown makes of HTML and nothing else: the tags below with the attributes
/// listed for each, URLs only with `http`, `https` or `mailto` schemes (or none: relative),
/// every attribute value quoted and escaped again, and anything else shown as text.
enum HTMLAllowlist {
    static let tags: [String: Set<String>] = [
        "p": [], "br": [], "hr": [], "h1": [], "h2": [], "h3": [], "h4": [], "h5": [], "h6": [],
        "em": [], "strong": [], "del": [], "s": [], "code": ["class"], "pre": [], "blockquote": [],
        "ul": [], "ol": ["start"], "li": [], "a": ["href", "title"], "img": ["src", "alt", "title"],
        "table": [], "thead": [], "tbody": [], "tr": [], "th": ["align"], "td": ["align"],
    ]
    static let urlAttributes: Set<String> = ["href", "src"]
    static let safeSchemes: Set<String> = ["http", "https", "mailto"]

    /// `html` with every tag not on the list, every attribute not allowed and every unsafe URL
    /// removed or turned into text.
    static func sanitize(_ html: String) -> String {
        var output = ""
        output.reserveCapacity(html.utf8.count)
        let characters = Array(html.unicodeScalars)
        var index = 0
        while index < characters.count {
            let scalar = characters[index]
            if scalar == "<", let (tag, end) = readTag(characters, from: index) {
                output += tag
                index = end
            } else if scalar == "&", let end = entityEnd(characters, from: index) {
                output.unicodeScalars.append(contentsOf: characters[index..<end])
                index = end
            } else {
                output += escapeText(String(scalar))
                index += 1
            }
        }
        return output
    }

    /// `text` safe between tags and inside quoted attributes.
    static func escapeText(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "&": escaped += "&amp;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// Whether `url` may be followed: a scheme on the list, or no scheme at all.
    static func isSafeURL(_ url: String) -> Bool {
        let trimmed = url.drop { $0.isWhitespace || $0.unicodeScalars.allSatisfy { $0.value < 0x20 } }
        guard let colon = trimmed.firstIndex(of: ":") else { return true }
        let beforeColon = trimmed[..<colon]
        // An entity could spell a scheme once a browser decodes the attribute.
        if beforeColon.contains("&") { return false }
        // A ':' after a path, query or fragment starts is no scheme.
        if beforeColon.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { return true }
        return safeSchemes.contains(beforeColon.lowercased())
    }

    /// An entity such as `&amp;` or `&#39;` starting at `start`: where it ends.
    private static func entityEnd(_ characters: [Unicode.Scalar], from start: Int) -> Int? {
        var index = start + 1
        while index < characters.count, index - start <= 32 {
            let scalar = characters[index]
            if scalar == ";" { return index > start + 1 ? index + 1 : nil }
            guard scalar.properties.isASCIIHexDigit || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "#" else { return nil }
            index += 1
        }
        return nil
    }

    /// An allowed tag starting at `start`, rewritten, and where it ends; `nil` when what starts
    /// there is not one (the `<` then shows as text).
    private static func readTag(_ characters: [Unicode.Scalar], from start: Int) -> (String, Int)? {
        var index = start + 1
        let closing = index < characters.count && characters[index] == "/"
        if closing { index += 1 }
        let nameStart = index
        while index < characters.count, characters[index].properties.isAlphabetic || ("0"..."9").contains(characters[index]) { index += 1 }
        let name = String(String.UnicodeScalarView(characters[nameStart..<index])).lowercased()
        guard let allowed = tags[name] else { return nil }
        var attributes: [(String, String)] = []
        while true {
            while index < characters.count, characters[index].properties.isWhitespace { index += 1 }
            guard index < characters.count else { return nil }
            if characters[index] == ">" { index += 1; break }
            if characters[index] == "/", index + 1 < characters.count, characters[index + 1] == ">" { index += 2; break }
            let attributeStart = index
            while index < characters.count, !characters[index].properties.isWhitespace, !"=>/\"'".unicodeScalars.contains(characters[index]) { index += 1 }
            guard index > attributeStart else { return nil }
            let attribute = String(String.UnicodeScalarView(characters[attributeStart..<index])).lowercased()
            var value = ""
            if index < characters.count, characters[index] == "=" {
                index += 1
                guard index < characters.count, characters[index] == "\"" || characters[index] == "'" else { return nil }
                let quote = characters[index]
                index += 1
                let valueStart = index
                while index < characters.count, characters[index] != quote { index += 1 }
                guard index < characters.count else { return nil }
                value = String(String.UnicodeScalarView(characters[valueStart..<index]))
                index += 1
            }
            attributes.append((attribute, value))
        }
        if closing { return ("</\(name)>", index) }
        var tag = "<\(name)"
        for (attribute, value) in attributes where allowed.contains(attribute) {
            if urlAttributes.contains(attribute), !isSafeURL(value) { continue }
            if attribute == "align", !["left", "center", "right"].contains(value) { continue }
            if attribute == "start", Int(value) == nil { continue }
            if attribute == "class", !value.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) { continue }
            tag += " \(attribute)=\"\(escapeText(value))\""
        }
        return (tag + (name == "br" || name == "hr" || name == "img" ? "/>" : ">"), index)
    }
}
