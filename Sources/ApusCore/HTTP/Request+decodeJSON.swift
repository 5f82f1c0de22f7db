import Foundation
public import Hummingbird

extension Request {
    /// Reads the body as JSON of type `T`, answering bad input with a problem: 400 when the body
    /// is not JSON, 422 naming the field when it has the wrong shape, 413 when it is too large.
    public func decodeJSON<T: Decodable>(as type: T.Type, context: ApusRequestContext) async throws -> T {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { throw Problem.badRequest("A JSON body is required.") }
        do {
            return try context.requestDecoder.decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw ProblemMiddleware.problem(for: error)
        }
    }
}
