import ApusCore
import ApusKit
import Foundation

/// The rules field values keep, and reading a save's body into `EntryChanges`.
enum ValueRules {
    static let defaultTextLength = 10_000
    static let defaultRichTextLength = 200_000
    static let maximumJSONBytes = 65_536
    /// Names a client may write beside field values; the other reserved names are read-only and
    /// ignored, so a client can send back what it read.
    static let writable: Set<String> = ["publish_at", "unpublish_at", "change_note"]

    /// The changes a save's body asks for, and every mistake in it.
    static func changes(from body: JSONValue, type: ContentType) throws -> EntryChanges {
        guard case .object(let members) = body else { throw Problem.unprocessable("The body must be a JSON object of field values.") }
        var changes = EntryChanges()
        var errors: [Problem.FieldError] = []
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            if let field = type.field(name) {
                if let message = problem(with: value, for: field) {
                    errors.append(.init(field: name, message: message))
                } else {
                    changes.values[name] = value
                }
                continue
            }
            switch name {
            case "publish_at", "unpublish_at":
                let time: Date??
                switch value {
                case .null: time = .some(nil)
                case .string(let text) where Timestamp.parse(text) != nil: time = .some(Timestamp.parse(text))
                default:
                    errors.append(.init(field: name, message: "must be an RFC 3339 time or null"))
                    continue
                }
                if name == "publish_at" { changes.publishAt = time } else { changes.unpublishAt = time }
            case "change_note":
                guard case .string(let note) = value, note.count <= 500, !note.contains("\0") else {
                    errors.append(.init(field: name, message: "must be text of at most 500 characters"))
                    continue
                }
                changes.changeNote = note
            case _ where FieldDefinition.reservedNames.contains(name):
                continue
            default:
                errors.append(.init(field: name, message: "is not a field of type \(type.apiId)"))
            }
        }
        try Problem.throwIfInvalid(errors)
        return changes
    }

    /// What is wrong with `value` for `field`, if anything; `null` clears a value.
    static func problem(with value: JSONValue, for field: FieldDefinition) -> String? {
        if value == .null { return nil }
        switch field.kind {
        case .text, .richText:
            guard case .string(let text) = value else { return "must be text" }
            let limit = field.maxLength ?? (field.kind == .text ? defaultTextLength : defaultRichTextLength)
            if text.count > limit { return "must be at most \(limit) characters" }
            if text.contains("\0") { return "must not contain NUL" }
        case .number:
            guard case .number(let number) = value, number.isFinite else { return "must be a number" }
        case .boolean:
            guard case .bool = value else { return "must be true or false" }
        case .dateTime:
            guard case .string(let text) = value, Timestamp.parse(text) != nil else { return "must be an RFC 3339 time" }
        case .enum:
            guard case .string(let text) = value, field.values?.contains(text) == true else {
                return "must be one of \((field.values ?? []).joined(separator: ", "))"
            }
        case .slug:
            guard case .string(let text) = value, Slug.isValid(text) else {
                return "must be a slug: lower-case letters, digits and single hyphens, at most \(Slug.maximumLength)"
            }
        case .reference:
            guard case .string(let text) = value, OpaqueID.isWellFormed(text) else { return "must be an entry id" }
        case .media:
            guard case .string(let text) = value, isOpaqueReference(text) else { return "must be a file id" }
        case .json:
            guard let data = try? StoredJSON.encoder.encode(value), data.count <= maximumJSONBytes else {
                return "must be JSON of at most \(maximumJSONBytes) bytes"
            }
        }
        return nil
    }

    /// The required fields `values` lacks.
    static func missing(in values: FieldValues, type: ContentType) -> [Problem.FieldError] {
        type.fields.filter { field in
            field.required && (values[field.name] == nil || values[field.name] == .null)
        }.map { .init(field: $0.name, message: "is required") }
    }

    /// A file id as Uploads and other stores make them: letters, digits, `_` and `-`.
    static func isOpaqueReference(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
        }
    }

    /// The text a unique value is compared by.
    static func uniqueKey(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): return text
        case .number(let number): return number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): return flag ? "true" : "false"
        default: return nil
        }
    }
}
