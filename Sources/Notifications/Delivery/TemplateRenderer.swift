import ApusCore
import Foundation
import Mustache

/// Renders Mustache templates with a notification's data: HTML-escaped for HTML bodies, as is for
/// subjects and text bodies.
enum TemplateRenderer {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// Checks that `text` parses as a template.
    static func validate(_ text: String) throws(Invalid) {
        do {
            _ = try MustacheTemplate(string: text)
        } catch {
            throw Invalid(description: "\(error)")
        }
    }

    static func render(_ text: String, data: JSONValue, html: Bool) throws -> String {
        let template = try MustacheTemplate(string: (html ? htmlPragma : textPragma) + text)
        return template.render(mustacheValue(data))
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
