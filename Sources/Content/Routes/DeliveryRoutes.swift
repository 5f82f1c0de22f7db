import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// The delivery API sites read: `GET /v1/content/{type}/published` and
/// `…/published/by-slug/{slug}`. Public types need no token; answers come from the node's
/// cache, carry an `ETag` (304 on `If-None-Match`) and a `Cache-Control` a CDN can keep.
struct DeliveryRoutes {
    let service: ContentService
    let settings: ContentSettings

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let published = router.group("/v1/content/{type}/published")
        published.get { request, context -> Response in
            let type = try await service.readableType(try ContentRequests.typeID(context), by: context.principal)
            let locale = try type.locale(try ContentRequests.locale(request))
            let limit = try request.pageLimit()
            let fetched = try await service.published(type, locale: locale, limit: limit + 1, after: try request.pageCursor())
            let next = fetched.count > limit ? fetched[limit - 1].id : nil
            var items: [JSONValue] = []
            let expand = try ContentRequests.flag(request, "expand")
            for (_, entry) in fetched.prefix(limit) {
                items.append(expand ? try await service.expanded(entry, type: type, locale: locale).json : entry.json)
            }
            let body = try ContentJSON.data(ContentJSON.page(items, nextCursor: next))
            return answer(body, tag: DeliveredEntry.tag(for: body), type: type, request: request)
        }
        published.get("/by-slug/{slug}") { request, context -> Response in
            let type = try await service.readableType(try ContentRequests.typeID(context), by: context.principal)
            let requested = try ContentRequests.locale(request)
            let locale = try type.locale(requested)
            let slug = try context.parameters.require("slug")
            switch try await service.bySlug(type, locale: locale, slug: slug) {
            case .entry(let entry):
                let shown = try ContentRequests.flag(request, "expand") ? try await service.expanded(entry, type: type, locale: locale) : entry
                return answer(shown.body, tag: shown.etag, type: type, request: request)
            case .moved(let current):
                let query = requested.map { "?locale=\($0)" } ?? ""
                var headers = cacheHeaders(type)
                headers[.location] = "/v1/content/\(type.apiId)/published/by-slug/\(current)\(query)"
                return Response(status: .movedPermanently, headers: headers)
            }
        }
    }

    /// 200 with the body, or 304 when the client holds this version.
    private func answer(_ body: Data, tag: EntityTag, type: ContentType, request: Request) -> Response {
        var headers = cacheHeaders(type)
        headers[.eTag] = tag.header
        if let condition = request.headers[.ifNoneMatch], tag.matches(ifNoneMatch: condition) {
            return Response(status: .notModified, headers: headers)
        }
        return ContentJSON.body(body, headers: headers)
    }

    /// Public types may be kept by shared caches for `APUS_CONTENT_CACHE_MAX_AGE`; others only by
    /// the reader, who asks again each time.
    private func cacheHeaders(_ type: ContentType) -> HTTPFields {
        let policy = type.isPublic
            ? "public, max-age=\(settings.cacheMaxAge), stale-while-revalidate=\(settings.cacheMaxAge)"
            : "private, no-cache"
        return [.cacheControl: policy, .vary: "Authorization"]
    }
}
