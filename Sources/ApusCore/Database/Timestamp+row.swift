public import Foundation
public import SQLKit

/// A stored time that is not an RFC 3339 timestamp: the row was not written by Apus.
public struct UnreadableTimestamp: Error, CustomStringConvertible {
    public var column: String
    public var text: String
    public var description: String { "the stored time in \(column) is not an RFC 3339 timestamp: \(text)" }
}

extension Timestamp {
    /// The time stored in `column` of `row`, read as an RFC 3339 timestamp.
    public static func decode(_ row: some SQLRow, column: String) throws -> Date {
        let text = try row.decode(column: column, as: String.self)
        guard let date = parse(text) else { throw UnreadableTimestamp(column: column, text: text) }
        return date
    }
}
