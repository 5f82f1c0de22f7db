import ApusCore
import Foundation

/// What search reads of an entry, how it splits text into words, and which text search
/// configuration a locale gets.
enum SearchText {
    /// The title and body search indexes for one view of an entry: the `title` field (or the first
    /// text field), then every other text, rich text and enum value.
    static func document(_ values: FieldValues, type: ContentType) -> (title: String, body: String) {
        let titleField = type.field("title").flatMap { $0.kind == .text ? $0 : nil } ?? type.fields.first { $0.kind == .text }
        var title = ""
        var body: [String] = []
        for field in type.fields {
            guard case .string(let text)? = values[field.name] else { continue }
            if field.name == titleField?.name {
                title = text
            } else if [.text, .richText, .enum].contains(field.kind) {
                body.append(text)
            }
        }
        return (title, body.joined(separator: "\n"))
    }

    /// The words of `text`, lower-cased: runs of letters and digits, 2 to 24 characters.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        func flush() {
            if (2...24).contains(current.count) { words.append(current) }
            current = ""
        }
        for character in text.lowercased() {
            if character.isLetter || character.isNumber { current.append(character) } else { flush() }
        }
        flush()
        return words
    }

    /// PostgreSQL's text search configuration for a locale: the language's stemmer where
    /// PostgreSQL has one, `simple` (lower-casing only) otherwise.
    static func postgresConfiguration(_ locale: String) -> String {
        let language = locale.split(separator: "-").first.map(String.init) ?? locale
        return [
            "en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian", "pt": "portuguese",
            "nl": "dutch", "sv": "swedish", "da": "danish", "fi": "finnish", "nb": "norwegian", "no": "norwegian",
            "nn": "norwegian", "ru": "russian", "hu": "hungarian", "ro": "romanian", "tr": "turkish",
        ][language] ?? "simple"
    }

    /// SQLite's FTS5 stems English only (Porter): the table a locale's text goes to.
    static func sqliteTable(_ locale: String) -> String {
        locale == "en" || locale.hasPrefix("en-") ? "content_search_stemmed" : "content_search_plain"
    }

    /// Markers around matches in snippets, from Unicode's private use area, so the snippet can
    /// be escaped as HTML before they become `<mark>`.
    static let markStart = "\u{E000}"
    static let markEnd = "\u{E001}"

    /// A snippet as safe HTML with its matches in `<mark>`.
    static func highlighted(_ snippet: String) -> String {
        HTMLAllowlist.escapeText(snippet).replacingOccurrences(of: markStart, with: "<mark>").replacingOccurrences(of: markEnd, with: "</mark>")
    }
}
