import ApusCore
import Foundation
import Hummingbird

/// Creating and managing links under `/v1/links`.
struct LinkRoutes {
    let runtime: LinksRuntime

    func add(to router: Router<ApusRequestContext>) {
        let links = router.group("/v1/links").add(middleware: RequirePermission(LinksModule.manageLinks))
        links.post { request, context -> Response in
            let principal = try context.require(LinksModule.manageLinks)
            let body = try await request.decodeJSON(as: CreateLink.self, context: context)
            try LinkFields.validate(url: body.url, redirect: body.redirect, maxVisits: body.maxVisits, expiresAt: body.expiresAt, tags: body.tags, policy: runtime.targetPolicy)
            let link = try await create(body, owner: principal.userID)
            var response = try context.responseEncoder.encode(link, from: request, context: context)
            response.status = .created
            response.headers[.location] = "/v1/links/\(link.code)"
            return response
        }
        links.get { request, context -> Page<Link> in
            let principal = try context.require(LinksModule.manageLinks)
            let limit = try request.pageLimit()
            let cursor: String? = request.uri.queryParameters.get("cursor").flatMap { $0.isEmpty ? nil : String($0) }
            if let cursor, !LinkCode.isPlausible(Substring(cursor)) { throw Problem.badRequest("cursor is not one this API handed out.") }
            let tag: String? = request.uri.queryParameters.get("tag").map { String($0) }
            if let tag, !LinkCode.isValidTag(tag) { throw Problem.badRequest("tag is 1-32 of A-Z a-z 0-9 _ -.") }
            let page = try await runtime.store.list(owner: principal.isAdmin ? nil : principal.userID, tag: tag, limit: limit + 1, after: cursor)
            return Page(items: Array(page.prefix(limit)), nextCursor: page.count > limit ? page[limit - 1].code : nil)
        }
        links.get("/{code}") { _, context -> Link in
            try await owned(context)
        }
        links.patch("/{code}") { request, context -> Link in
            var link = try await owned(context)
            let patch = try await request.decodeJSON(as: PatchLink.self, context: context)
            try LinkFields.validate(url: patch.url, redirect: patch.redirect, maxVisits: patch.maxVisits, expiresAt: patch.expiresAt, tags: patch.tags, policy: runtime.targetPolicy)
            if let url = patch.url { link.url = url }
            if let redirect = patch.redirect { link.redirect = redirect }
            if let maxVisits = patch.maxVisits { link.maxVisits = maxVisits }
            if let expiresAt = patch.expiresAt { link.expiresAt = expiresAt }
            if let tags = patch.tags { link.tags = tags }
            link.updatedAt = Date()
            try await runtime.store.update(link)
            await runtime.announceChanged(link.code)
            return link
        }
        links.delete("/{code}") { _, context -> Response in
            let link = try await owned(context)
            try await runtime.store.delete(link)
            await runtime.announceChanged(link.code)
            return Response(status: .noContent)
        }
        links.get("/{code}/stats") { request, context -> LinkStats in
            let link = try await owned(context)
            let query = request.uri.queryParameters
            let to = try query.get("to").map { try Self.time($0, field: "to") } ?? Date()
            let from = try query.get("from").map { try Self.time($0, field: "from") } ?? to.addingTimeInterval(-7 * 86_400)
            let interval = query.get("interval").map { String($0) } ?? "day"
            guard interval == "hour" || interval == "day" else { throw Problem.badRequest("interval is hour or day.") }
            guard from < to else { throw Problem.badRequest("from must be before to.") }
            return try await LinkStats.load(code: link.code, from: from, to: to, interval: interval, database: runtime.store.database)
        }
    }

    private func create(_ body: CreateLink, owner: String) async throws -> Link {
        let now = Date()
        var link = Link(
            code: "", shortUrl: "", url: body.url, redirect: body.redirect ?? 302, expiresAt: body.expiresAt,
            maxVisits: body.maxVisits, visits: 0, tags: body.tags ?? [], ownerId: owner, createdAt: now, updatedAt: now
        )
        if let alias = body.alias {
            guard LinkCode.isValidAlias(alias) else {
                throw Problem.unprocessable("An alias is 3-64 of A-Z a-z 0-9 _ -.", errors: [.init(field: "alias", message: "3-64 of A-Z a-z 0-9 _ -")])
            }
            guard !runtime.reserved.contains(alias.lowercased()) else {
                throw Problem.unprocessable("'\(alias)' is reserved.", errors: [.init(field: "alias", message: "is reserved")])
            }
            link.code = alias
            guard try await runtime.store.insert(link) else { throw Problem.conflict("The alias '\(alias)' is taken.") }
        } else {
            // Codes from the permutation never collide with each other; an alias may already hold one.
            let codes = try await runtime.secrets.values().codes
            while true {
                link.code = codes.code(for: try await runtime.store.nextNumber())
                if runtime.reserved.contains(link.code.lowercased()) { continue }
                if try await runtime.store.insert(link) { break }
            }
        }
        await runtime.announceChanged(link.code)
        link.shortUrl = "\(runtime.publicURL)/\(link.code)"
        return link
    }

    /// The link named in the path, if the caller owns it (or is an admin); else 404.
    private func owned(_ context: ApusRequestContext) async throws -> Link {
        let principal = try context.require(LinksModule.manageLinks)
        let code = try context.parameters.require("code")
        guard LinkCode.isPlausible(Substring(code)), let link = try await runtime.store.find(code: code),
              link.ownerId == principal.userID || principal.isAdmin
        else { throw Problem.notFound("No link \(code).") }
        return link
    }

    static func time(_ text: String, field: String) throws -> Date {
        guard let date = Timestamp.parse(text) else { throw Problem.badRequest("\(field) must be an RFC 3339 time.") }
        return date
    }
}
