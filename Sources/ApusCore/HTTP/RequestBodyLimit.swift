public import Hummingbird

/// Sets the largest request body the routes it wraps read whole (`context.maxUploadSize`, 1 MiB
/// unless set): a log shipper's batch of several MiB on a push route, say. A larger body is
/// refused with 413 as it arrives, before it is held. Put such routes among
/// ``ModuleParts/streamedRoutes``, so `Idempotency-Key` replay (which reads bodies under the
/// default limit) does not stand before them.
public struct RequestBodyLimit: RouterMiddleware {
    public typealias Context = ApusRequestContext

    /// The limit, in bytes.
    public let bytes: Int

    public init(bytes: Int) {
        self.bytes = bytes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.maxUploadSize = bytes
        return try await next(request, context)
    }
}
