import ApusCore
import HTTPTypes
import Hummingbird

/// What every tus request goes through: `Tus-Resumable` on every answer but `OPTIONS`, the
/// caller's permission, then the protocol version (412 with `Tus-Version` for any other).
/// `HEAD` answers carry no body, errors included.
struct TusProtocolMiddleware: RouterMiddleware {
    typealias Context = ApusRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .options { return try await next(request, context) }
        do {
            _ = try context.require(UploadsModule.write)
            guard request.headers[Tus.resumable] == Tus.version else {
                throw Problem(
                    .preconditionFailed, detail: "This server speaks tus \(Tus.version); send Tus-Resumable: \(Tus.version).",
                    headers: [Tus.versionHeader: Tus.version]
                )
            }
            var response = try await next(request, context)
            response.headers[Tus.resumable] = Tus.version
            return response
        } catch var problem as Problem {
            problem.headers[Tus.resumable] = Tus.version
            if request.method == .head || request.headers[Tus.methodOverride]?.uppercased() == "HEAD" {
                var headers = problem.headers
                headers[.cacheControl] = "no-store"
                return Response(status: problem.status, headers: headers)
            }
            throw problem
        }
    }
}
