import Foundation
public import Hummingbird
import NIOCore

extension Request {
    /// The snake_case path of the first decoded string that contains NUL, found by reflection.
    static func fieldContainingNUL(_ value: Any, path: String) -> String? {
        if let text = value as? String { return text.utf8.contains(0) ? path : nil }
        for (index, child) in Mirror(reflecting: value).children.enumerated() {
            let name = child.label.map { $0.hasPrefix("_") ? String($0.dropFirst()) : $0 }?.snakeCased
            let childPath = name.map { path.isEmpty ? $0 : "\(path).\($0)" } ?? "\(path)[\(index)]"
            if let found = fieldContainingNUL(child.value, path: childPath) { return found }
        }
        return nil
    }

    /// Whether the JSON text in `buffer` may hold NUL in a string: it has the escape `\u0000`
    /// (or text that looks like it, such as an escaped backslash before `u0000`), or any zero
    /// byte. UTF-8 JSON holds NUL only as that escape; a zero byte means another encoding (the
    /// decoder also reads UTF-16 and UTF-32, where the escape's bytes are spread out) or a raw NUL.
    package static func mayContainNUL(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { bytes in
            var index = 0
            let count = bytes.count
            while index < count {
                let byte = bytes[index]
                if byte == 0 { return true }
                // `\u0000` is six bytes.
                if byte == 0x5C, index + 5 < count, bytes[index + 1] == 0x75, bytes[index + 2] == 0x30, bytes[index + 3] == 0x30,
                   bytes[index + 4] == 0x30, bytes[index + 5] == 0x30 {
                    return true
                }
                index += 1
            }
            return false
        }
    }

    /// The path of the first number in `value` that is not a whole number a 64-bit integer holds.
    static func fieldWithNonInteger(_ value: JSONValue, path: String) -> String? {
        switch value {
        case .number(let number):
            return number.rounded() == number && abs(number) < 9.2e18 ? nil : path
        case .object(let members):
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let found = fieldWithNonInteger(member, path: path.isEmpty ? key : "\(path).\(key)") { return found }
            }
            return nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = fieldWithNonInteger(item, path: "\(path)[\(index)]") { return found }
            }
            return nil
        default:
            return nil
        }
    }

    /// Reads the body as JSON of type `T`, answering bad input with a problem: 400 when the body
    /// is not JSON, 422 naming the field when it has the wrong shape, 413 when it is too large.
    public func decodeJSON<T: Decodable>(as type: T.Type, context: ApusRequestContext) async throws -> T {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { throw Problem.badRequest("A JSON body is required.") }
        let value: T
        do {
            value = try context.requestDecoder.decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            // Foundation reports a number that does not fit its field (1.5 or 1e30 for an
            // integer) as invalid JSON: when the body is JSON, name the number's field instead.
            if case .dataCorrupted(let corrupted) = error, corrupted.codingPath.isEmpty,
                let tree = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: buffer)),
                let field = Self.fieldWithNonInteger(tree, path: "")
            {
                throw Problem.unprocessable("Field \(field) must be an integer in range.", errors: [.init(field: field, message: "must be an integer in range")])
            }
            throw ProblemMiddleware.problem(for: error)
        }
        // No field has a use for NUL, and PostgreSQL cannot store it in text; members the type
        // does not read are ignored like any unknown member.
        // JSON can carry NUL only escaped, so a body without `\u0000` needs no walk of the value.
        if Self.mayContainNUL(buffer), let field = Self.fieldContainingNUL(value, path: "") {
            throw Problem.unprocessable("\(field) must not contain the NUL character.", errors: [.init(field: field, message: "contains NUL")])
        }
        return value
    }
}
