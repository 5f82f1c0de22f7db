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

    /// Reads the body as JSON of type `T`, answering bad input with a problem: 400 when the body
    /// is not JSON, 422 naming the field when it has the wrong shape, 413 when it is too large.
    public func decodeJSON<T: Decodable>(as type: T.Type, context: ApusRequestContext) async throws -> T {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { throw Problem.badRequest("A JSON body is required.") }
        // One linear pass first: a body nested past the limit is refused before any decoder
        // walks it, and a body without the NUL escape needs no walk of the decoded value.
        // UTF-8 only (RFC 8259 8.1): the decoder would take UTF-16 and UTF-32 too, whose bytes
        // the scan below cannot read, so a deep body could pass it.
        guard JSONBodyShape.isUTF8(buffer) else { throw Problem.badRequest("A JSON body must be UTF-8.") }
        let shape = JSONBodyShape(scanning: buffer)
        guard shape.depth <= JSONBodyShape.maximumDepth else {
            throw Problem.badRequest("The JSON body nests deeper than \(JSONBodyShape.maximumDepth) levels.")
        }
        let value: T
        do {
            // The body's text goes with the decoding, so a `JSONValue` inside `T` is read from
            // one linear parse instead of being probed type by type.
            let text = Data(buffer: buffer)
            value = try JSONValueSource.$current.withValue(JSONValueSource(text)) {
                try context.requestDecoder.decode(T.self, from: text)
            }
        } catch let error as DecodingError {
            // Foundation reports a number that does not fit its field (1.5 or 1e30 for an
            // integer) as invalid JSON: name the number's field instead, found in one pass over
            // the bytes (never by decoding the body again, whose cost would depend on its shape).
            if case .dataCorrupted(let corrupted) = error, corrupted.codingPath.isEmpty,
                let field = buffer.withUnsafeReadableBytes({ JSONNonIntegerField.find(in: $0) })
            {
                throw Problem.unprocessable("Field \(field) must be an integer in range.", errors: [.init(field: field, message: "must be an integer in range")])
            }
            throw ProblemMiddleware.problem(for: error)
        }
        // No field has a use for NUL, and PostgreSQL cannot store it in text; members the type
        // does not read are ignored like any unknown member.
        if shape.mayContainNUL, let field = Self.fieldContainingNUL(value, path: "") {
            throw Problem.unprocessable("\(field) must not contain the NUL character.", errors: [.init(field: field, message: "contains NUL")])
        }
        return value
    }
}
