public import Foundation
import Synchronization

/// The text a request body is being decoded from, set for the decoding's task, so a
/// ``JSONValue`` inside the decoded type is read from one linear parse of the text instead of
/// being probed type by type through `Decodable` (whose cost grows with the square of the
/// nesting). It is parsed once, on the first ``JSONValue`` asked for.
public final class JSONValueSource: Sendable {
    /// The source of the decoding running in this task, if any (a coding path is relative to
    /// its root).
    @TaskLocal public static var current: JSONValueSource?

    private let text: Data
    private let parsed: Mutex<JSONValue??> = Mutex(nil)

    /// The source of a decoder reading `text`.
    public init(_ text: Data) {
        self.text = text
    }

    /// The value at `path` (keys as the decoder names them: a Swift property name, tried as
    /// written and in snake_case), or `nil` when the text does not parse or has no such value.
    func value(at path: [any CodingKey]) -> JSONValue? {
        let root = parsed.withLock { cached -> JSONValue? in
            if let cached { return cached }
            let value = try? JSONValue(parsing: text)
            cached = .some(value)
            return value
        }
        guard var value = root else { return nil }
        for key in path {
            switch value {
            case .array(let items):
                guard let index = key.intValue, items.indices.contains(index) else { return nil }
                value = items[index]
            case .object(let members):
                guard let member = members[key.stringValue] ?? members[key.stringValue.snakeCased] else { return nil }
                value = member
            default:
                return nil
            }
        }
        return value
    }
}
