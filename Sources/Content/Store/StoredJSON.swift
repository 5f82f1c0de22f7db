import ApusCore
import Foundation

/// Field values as the content tables keep them: JSON objects, written without any key
/// conversion, since a JSON field's own keys are the author's.
enum StoredJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func encode(_ values: FieldValues) throws -> String {
        String(decoding: try encoder.encode(values), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> FieldValues {
        guard case .object(let members) = try JSONValue(parsing: Array(text.utf8)) else { return [:] }
        return members
    }
}
