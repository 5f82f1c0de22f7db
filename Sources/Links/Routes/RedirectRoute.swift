import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// `GET /{code}` and `HEAD /{code}` at the root of the public URL: the hot path. Answered from the
/// node cache; clicks go to the buffer, never to the database on the way.
struct RedirectRoute {
    let service: LinksService
    let clientAddress: ClientAddress
    let countryHeader: HTTPField.Name?

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    func add(to router: some RouterMethods<ApusRequestContext>) {
        router.get("/{\(RouteTable.rootCapture)}") { request, context in try await redirect(request, context) }
    }

    private func redirect(_ request: Request, _ context: ApusRequestContext) async throws -> Response {
        let code = try context.parameters.require("code")
        guard LinkCode.isPlausible(Substring(code)) else { throw Problem.notFound("No link \(code).") }
        // A hit is answered without an await; only a miss goes to the database.
        let found: LinkStore.Target?
        switch service.redirects.cached(code) {
        case .value(let cached): found = cached
        case .missing: found = nil
        case nil: found = try await service.loadTarget(code)
        }
        guard let target = found else { throw Problem.notFound("No link \(code).") }
        let now = service.now()
        if let expiresAt = target.expiresAt, expiresAt <= now {
            throw Problem(.gone, detail: "The link \(code) has expired.")
        }
        let isHead = request.method == .head
        if target.maxVisits != nil, !isHead {
            guard try await service.claimVisit(code) else {
                throw Problem(.gone, detail: "The link \(code) has reached its visit limit.")
            }
        }
        if !isHead { recordClick(code: code, request: request, context: context, at: now) }
        service.redirectsServed.increment()
        return Response(
            status: target.redirect == 301 ? .movedPermanently : .found,
            headers: [.location: target.url, .cacheControl: target.redirect == 301 ? "public, max-age=3600" : "private, no-store"]
        )
    }

    /// `text` cut to `limit` bytes' worth of characters; the common short case costs no copy.
    static func bounded(_ text: String, _ limit: Int) -> String {
        text.utf8.count <= limit ? text : String(text.prefix(limit))
    }

    private func recordClick(code: String, request: Request, context: ApusRequestContext, at now: Date) {
        service.clicks.record(Click(
            code: code, at: now,
            referrer: request.headers.first(.referer).map { Self.bounded($0, 2048) },
            userAgent: request.headers.first(.userAgent).map { Self.bounded($0, 512) },
            address: clientAddress.resolve(peer: context.peerAddress, forwardedFor: request.headers[Self.forwardedFor]),
            country: countryHeader.flatMap { request.headers.first($0) }.map { String($0.prefix(2)).uppercased() }
        ))
    }
}
