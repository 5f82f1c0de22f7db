public import ApusCore
import Foundation
import Mustache

/// Renders Mustache templates with JSON data: HTML-escaped for HTML output, as is for text
/// (a mail's subject and text body, for example). Any module may use it.
///
/// Sections may nest only `Limits.sectionDepth` deep, and before a template is rendered its
/// `Expansion` with the data is counted, so that a template whose sections multiply into
/// millions of passes is refused in milliseconds instead of rendered for seconds.
public enum TemplateRenderer {
    /// A template that cannot be saved or rendered; the description says why, for its author.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Checks that `text` parses as a template and nests its sections no deeper than allowed.
    public static func validate(_ text: String, limits: Limits = .standard) throws(Invalid) {
        _ = try parse(text, prefix: "", limits: limits)
    }

    /// Renders `text` with `data`; throws `Invalid` when it does not parse and `LimitExceeded`
    /// when rendering it with this data would go beyond `limits`, before rendering anything.
    public static func render(_ text: String, data: JSONValue, html: Bool, limits: Limits = .standard) throws -> String {
        let (outline, template) = try parse(text, prefix: html ? htmlPragma : textPragma, limits: limits)
        let value = mustacheValue(data)
        _ = try Expansion.measure(outline, data: value, escapes: html, limits: limits)
        let output = template.render(value)
        // The expansion counts at least what is written; this holds even if it ever counted less.
        guard output.utf8.count <= limits.outputBytes else {
            throw LimitExceeded(limit: .outputBytes, value: limits.outputBytes)
        }
        return output
    }

    /// The outline comes first: it refuses deep nesting before the library's recursive parser
    /// sees the template.
    private static func parse(_ text: String, prefix: String, limits: Limits) throws(Invalid) -> (Outline, MustacheTemplate) {
        let outline: Outline
        do {
            outline = try Outline(text, maximumDepth: limits.sectionDepth)
        } catch {
            switch error {
            case .tooDeep(let limit):
                throw Invalid(description: "sections nest more than \(limit) deep")
            case .malformed(let reason):
                // The library's parser says where; the outline's reason stands if it has none.
                do { _ = try MustacheTemplate(string: text) } catch { throw Invalid(description: "\(error)") }
                throw Invalid(description: reason)
            }
        }
        do {
            return (outline, try MustacheTemplate(string: prefix + text))
        } catch {
            throw Invalid(description: "\(error)")
        }
    }

    // A pragma on a line of its own is dropped with its line break, so the template's own text
    // starts on a fresh line, as it would without the pragma; without the line break, a first
    // line that is blank would be taken for the rest of the pragma's line and dropped.
    private static let textPragma = "{{% CONTENT_TYPE: TEXT}}\n"

    private static let htmlPragma: String = {
        MustacheContentTypes.register(HTMLEscaping(), named: HTMLEscaping.name)
        return "{{% CONTENT_TYPE: \(HTMLEscaping.name)}}\n"
    }()

    /// Plain Swift values Mustache can walk: dictionaries, arrays, strings, numbers, booleans.
    static func mustacheValue(_ value: JSONValue) -> Any {
        switch value {
        // NSNull is what the library takes for missing: empty as a variable, false as a section.
        case .null: return NSNull()
        case .bool(let flag): return flag
        case .number(let number):
            // 3 rather than 3.0 for whole numbers.
            if number.rounded() == number, abs(number) < 1e15 { return Int(number) }
            return number
        case .string(let text): return text
        case .array(let items): return items.map(mustacheValue)
        case .object(let members): return members.mapValues(mustacheValue)
        }
    }
}
