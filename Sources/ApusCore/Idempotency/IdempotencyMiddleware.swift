import ApusKit
import Crypto
import Foundation
public import HTTPTypes
public import Hummingbird
import Logging

/// Makes a creating `POST` safe to retry: with an `Idempotency-Key` header, the first response
/// is stored and replayed for the same key (with `Idempotent-Replayed: true`), a reuse of the
/// key for a different request is a 422, and a retry while the first is still running is a 409.
///
/// Keys are scoped by the caller (the API key, else the user), so one client can never replay
/// another's response; an anonymous request gets no replay at all. Server errors are not
/// stored (the client may retry them), and neither is a response marked `no-store`: one that
/// carries a secret (``NoStoreMiddleware``) is answered once and never kept. Routes whose bodies
/// stream to storage are registered outside this middleware (``ModuleParts/streamedRoutes``),
/// so it sees every other route's requests, whatever their content type claims.
public struct IdempotencyMiddleware: RouterMiddleware, MethodScopedMiddleware {
    public typealias Context = ApusRequestContext

    /// The request header.
    public static let keyHeader = HTTPField.Name("Idempotency-Key")!
    /// The response header marking a replay.
    public static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!

    private let store: IdempotencyStore
    /// Stored responses larger than this are not kept (the request still succeeds).
    private let maximumStoredBody = 256 * 1024

    public init(store: IdempotencyStore) {
        self.store = store
    }

    /// Only a `POST` is replayed: routes of other methods are served without this layer.
    public var methods: Set<HTTPRequest.Method> { [.post] }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let key = request.headers[Self.keyHeader] else {
            return try await next(request, context)
        }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw Problem.badRequest("Idempotency-Key must be 1-255 visible ASCII characters.")
        }
        guard let principal = context.principal else { return try await next(request, context) }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        var request = request
        request.body = .init(buffer: body)
        let scope = Self.digest(principal.callerKey)
        let fingerprint = Self.digest("\(request.method.rawValue) \(request.uri.path)\n" + String(buffer: body))

        switch try await store.begin(scope: scope, key: key, fingerprint: fingerprint) {
        case .replay(let stored):
            var headers: HTTPFields = [Self.replayedHeader: "true"]
            if let contentType = stored.contentType { headers[.contentType] = contentType }
            if let location = stored.location { headers[.location] = location }
            return Response(status: .init(code: stored.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: stored.body)))
        case .inProgress:
            throw Problem(.conflict, detail: "A request with this Idempotency-Key is still being processed; retry later.", headers: [.retryAfter: "1"])
        case .mismatch:
            throw Problem.unprocessable("This Idempotency-Key was used for a different request.")
        case .started(let owner):
            let response: Response
            do {
                response = try await next(request, context)
            } catch {
                // A problem thrown for bad input is a final answer too; store it like any 4xx.
                if let problem = error as? Problem, problem.status.code < 500 {
                    let rendered = try problem.response(from: request, context: context)
                    return try await finish(rendered, scope: scope, key: key, owner: owner, context: context)
                }
                await store.abandon(scope: scope, key: key, owner: owner)
                throw error
            }
            return try await finish(response, scope: scope, key: key, owner: owner, context: context)
        }
    }

    private func finish(_ response: Response, scope: String, key: String, owner: String, context: Context) async throws -> Response {
        guard response.status.code < 500, !response.headers.forbidStoring else {
            await store.abandon(scope: scope, key: key, owner: owner)
            return response
        }
        var response = response
        let collector = BodyCollector()
        try await response.body.write(CollectingWriter(collector: collector))
        let bytes = collector.bytes
        response.body = .init(byteBuffer: ByteBuffer(bytes: bytes))
        if bytes.count <= maximumStoredBody {
            let stored = IdempotencyStore.StoredResponse(
                status: Int(response.status.code),
                contentType: response.headers[.contentType],
                location: response.headers[.location],
                body: bytes
            )
            do {
                try await store.complete(scope: scope, key: key, owner: owner, response: stored)
            } catch {
                context.logger.warning("could not store an idempotent response", metadata: ["error": "\(error)"])
            }
        } else {
            await store.abandon(scope: scope, key: key, owner: owner)
        }
        return response
    }

    static func digest(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexEncoded
    }
}

/// Receives a response body written into a ``CollectingWriter``.
private final class BodyCollector {
    var bytes: [UInt8] = []
}

private struct CollectingWriter: ResponseBodyWriter {
    let collector: BodyCollector

    mutating func write(_ buffer: ByteBuffer) async throws {
        collector.bytes.append(contentsOf: buffer.readableBytesView)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
