import ApusCore
import Foundation
import Hummingbird

/// Creating and managing links under `/v1/links`: decode, call the service, encode.
struct LinkRoutes {
    let service: LinksService

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let links = router.group("/v1/links").add(middleware: RequirePermission(LinksModule.manageLinks))
        links.post { request, context -> Response in
            let principal = try context.require(LinksModule.manageLinks)
            var body = try await request.decodeJSON(as: CreateLink.self, context: context)
            body.url = try LinkFields.validate(url: body.url, redirect: body.redirect, maxVisits: body.maxVisits, expiresAt: body.expiresAt, tags: body.tags, policy: service.targetPolicy, now: service.platform.now()) ?? body.url
            let link = try await service.create(body, owner: principal.userID)
            return try context.created(link, at: "/v1/links/\(link.code)", for: request)
        }
        links.get { request, context -> Page<Link> in
            let principal = try context.require(LinksModule.manageLinks)
            let limit = try request.pageLimit()
            let cursor = try request.pageCursor { LinkCode.isPlausible($0) }
            let tag: String? = request.uri.queryParameters.get("tag").map { String($0) }
            if let tag, !LinkCode.isValidTag(tag) { throw Problem.badRequest("tag is 1-32 of A-Z a-z 0-9 _ -.") }
            let page = try await service.list(for: principal, tag: tag, limit: limit + 1, after: cursor)
            return Page(fetched: page, limit: limit) { $0.code }
        }
        links.get("/{code}") { _, context -> Link in
            try await owned(context)
        }
        links.patch("/{code}") { request, context -> Link in
            let link = try await owned(context, forChange: true)
            var patch = try await request.decodeJSON(as: PatchLink.self, context: context)
            patch.url = try LinkFields.validate(url: patch.url, redirect: patch.redirect, maxVisits: patch.maxVisits, expiresAt: patch.expiresAt, tags: patch.tags, policy: service.targetPolicy, now: service.platform.now())
            return try await service.update(link, with: patch)
        }
        links.delete("/{code}") { _, context -> Response in
            try await service.delete(try await owned(context, forChange: true))
            return Response(status: .noContent)
        }
        links.get("/{code}/stats") { request, context -> LinkStats in
            let link = try await owned(context)
            let query = request.uri.queryParameters
            let to = try query.get("to").map { try Self.time($0, field: "to") } ?? service.now()
            let from = try query.get("from").map { try Self.time($0, field: "from") } ?? to.addingTimeInterval(-7 * 86_400)
            let interval = query.get("interval").map { String($0) } ?? "day"
            guard interval == "hour" || interval == "day" else { throw Problem.badRequest("interval is hour or day.") }
            guard from < to else { throw Problem.badRequest("from must be before to.") }
            return try await service.stats(link, from: from, to: to, interval: interval)
        }
    }

    /// The link named in the path, if the caller owns it (or is an admin); else 404. Read from the
    /// primary when it is about to be changed (a replica's older copy would undo a change).
    private func owned(_ context: ApusRequestContext, forChange: Bool = false) async throws -> Link {
        let principal = try context.require(LinksModule.manageLinks)
        return try await service.owned(try context.parameters.require("code"), by: principal, fromPrimary: forChange)
    }

    static func time(_ text: String, field: String) throws -> Date {
        guard let date = Timestamp.parse(text) else { throw Problem.badRequest("\(field) must be an RFC 3339 time.") }
        return date
    }
}
