import ApusCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The delivery API sites read: `GET /v1/content/{type}/published` and
/// `…/published/by-slug/{slug}`. Public types need no token; answers come from the node's
/// cache, carry an `ETag` (304 on `If-None-Match`) and a `Cache-Control` a CDN can keep.
struct DeliveryRoutes {
    let service: ContentService

    init(service: ContentService) {
        self.service = service
    }

    func add(to router: some RouterMethods<ApusRequestContext>) {
        addPreview(to: router)
        let published = router.group("/v1/content/{type}/published")
        published.get { request, context -> Response in
            let type = try await service.readableType(try ContentRequests.typeID(context), by: context.principal)
            let locale = try type.locale(try ContentRequests.locale(request))
            let limit = try request.pageLimit()
            let parameters = request.uri.queryParameters
            let query = try DeliveryQuery(filter: parameters.getAll("filter"), sort: parameters.get("sort"), type: type)
            // Pages in the default order keep the plain id cursors they always had.
            let cursor = try parameters.get("cursor").flatMap { text -> DeliveryCursor? in
                guard !text.isEmpty else { return nil }
                if query.sort == .id, !query.descending {
                    guard OpaqueID.isWellFormed(text) else { throw Problem.badRequest("cursor is not one this API handed out.") }
                    return DeliveryCursor(value: nil, id: text)
                }
                return try DeliveryCursor(text, for: query)
            }
            let fetched = try await service.published(type, locale: locale, query: query, limit: limit + 1, after: cursor)
            let next = fetched.count > limit ? Self.cursor(fetched[limit - 1].position, for: query) : nil
            var items: [JSONValue] = []
            let expand = try ContentRequests.flag(request, "expand")
            for (_, entry) in fetched.prefix(limit) {
                items.append(expand ? try await service.expanded(entry, type: type, locale: locale, for: context.principal).json : entry.json)
            }
            let body = try ContentJSON.data(ContentJSON.page(items, nextCursor: next))
            return answer(ByteBuffer(bytes: body), tag: DeliveredEntry.tag(for: body), type: type, request: request)
        }
        published.get("/by-slug/{slug}") { request, context -> Response in
            let type = try await service.readableType(try ContentRequests.typeID(context), by: context.principal)
            let requested = try ContentRequests.locale(request)
            let locale = try type.locale(requested)
            let slug = try context.parameters.require("slug")
            switch try await service.bySlug(type, locale: locale, slug: slug) {
            case .entry(let entry):
                let shown = try ContentRequests.flag(request, "expand") ? try await service.expanded(entry, type: type, locale: locale, for: context.principal) : entry
                if let condition = request.headers[.ifNoneMatch], shown.etag.matches(ifNoneMatch: condition) {
                    return notModified(shown.etag, type: type)
                }
                return Response(status: .ok, headers: shown.headers, body: .init(byteBuffer: shown.body))
            case .moved(let current):
                let query = requested.map { "?locale=\($0)" } ?? ""
                var headers = cacheHeaders(type)
                headers[.location] = "/v1/content/\(type.apiId)/published/by-slug/\(current)\(query)"
                return Response(status: .movedPermanently, headers: headers)
            }
        }
    }

    /// `GET /v1/content/{type}/preview/{token}`: the draft a preview token shows. Public (the
    /// token is the credential), never stored by a cache, never indexed.
    func addPreview(to router: some RouterMethods<ApusRequestContext>) {
        router.get("/v1/content/{type}/preview/{token}") { request, context -> Response in
            let apiID = try ContentRequests.typeID(context)
            let locale = try ContentRequests.locale(request)
            let token = try context.parameters.require("token")
            var entry = try await service.preview(apiID, token: token, locale: locale)
            if try ContentRequests.flag(request, "expand") {
                let type = try await service.type(apiID)
                entry = try await service.expanded(entry, type: type, locale: try type.locale(locale), for: context.principal)
            }
            let headers: HTTPFields = [
                .cacheControl: "private, no-store", HTTPField.Name("X-Robots-Tag")!: "noindex", HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ]
            return ContentJSON.body(entry.body, headers: headers)
        }
    }

    static func cursor(_ position: DeliveryCursor, for query: DeliveryQuery) -> String {
        query.sort == .id && !query.descending ? position.id : position.encoded(for: query)
    }

    /// 200 with the body, or 304 when the client holds this version.
    private func answer(_ body: ByteBuffer, tag: EntityTag, type: ContentType, request: Request) -> Response {
        if let condition = request.headers[.ifNoneMatch], tag.matches(ifNoneMatch: condition) {
            return notModified(tag, type: type)
        }
        var headers = cacheHeaders(type)
        headers[.eTag] = tag.header
        return ContentJSON.body(body, headers: headers)
    }

    /// 304: the client holds the version `tag` names.
    private func notModified(_ tag: EntityTag, type: ContentType) -> Response {
        var headers = cacheHeaders(type)
        headers[.eTag] = tag.header
        return Response(status: .notModified, headers: headers)
    }

    private func cacheHeaders(_ type: ContentType) -> HTTPFields {
        service.deliveryHeaders.caching(type)
    }
}
