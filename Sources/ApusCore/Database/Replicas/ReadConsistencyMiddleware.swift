import Hummingbird
import Logging

/// Read-your-writes around one request, where read replicas are configured: the position the
/// client sent (`Apus-Consistency`) bounds which replicas may answer its reads, and the answer
/// to a request that wrote carries the primary's position after it.
enum ReadConsistencyMiddleware {
    /// Runs `answer` with the request's position; it is given the problem to answer with instead
    /// when the header is malformed.
    static func around(_ request: Request, replicas: ReadReplicas, _ answer: (Problem?) async throws -> Response) async throws -> Response {
        var required: WALPosition?
        var malformed: Problem?
        if let header = request.headers[.apusConsistency] {
            required = WALPosition(header.trimmingCharacters(in: .whitespaces))
            if required == nil {
                malformed = .badRequest("Apus-Consistency must be a position this server gave, such as 0/16B3748.")
            }
        }
        let consistency = ReadConsistency(required: required)
        var response = try await ReadConsistency.$current.withValue(consistency) { try await answer(malformed) }
        if consistency.hasWritten {
            do {
                response.headers[.apusConsistency] = try await replicas.primaryPosition().description
            } catch {
                replicas.logger.warning("cannot read the primary's WAL position for Apus-Consistency", metadata: ["error": "\(error)"])
            }
        }
        return response
    }
}
