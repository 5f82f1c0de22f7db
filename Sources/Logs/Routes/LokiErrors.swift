import ApusCore
import Hummingbird
import NIOCore

/// Loki's clients read an error as plain text: the message, with the status. Every error under
/// `/loki/` is written so, the platform's own too.
enum LokiErrors {
    static let shape = ErrorShape(pathPrefix: "/loki/") { problem, _ in
        var headers = problem.headers
        headers[.contentType] = "text/plain; charset=utf-8"
        let text = (problem.detail ?? problem.title) + "\n"
        return Response(status: problem.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
