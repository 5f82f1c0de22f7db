import Foundation
public import Hummingbird

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
        let value: T
        do {
            value = try context.requestDecoder.decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw ProblemMiddleware.problem(for: error)
        }
        // No field has a use for NUL, and PostgreSQL cannot store it in text; members the type
        // does not read are ignored like any unknown member.
        if let field = Self.fieldContainingNUL(value, path: "") {
            throw Problem.unprocessable("\(field) must not contain the NUL character.", errors: [.init(field: field, message: "contains NUL")])
        }
        return value
    }
}
