import HTTPTypes

/// The `Cache-Control` and `Vary` of delivered answers: public types' may be kept by shared
/// caches for `APUS_CONTENT_CACHE_MAX_AGE`, others only by the reader, who asks again each time.
/// Made once, so an answer copies them instead of building them.
struct DeliveryHeaders: Sendable {
    private let publicTypes: HTTPFields
    private let privateTypes: HTTPFields

    init(settings: ContentSettings) {
        let maxAge = settings.cacheMaxAge
        publicTypes = [.cacheControl: "public, max-age=\(maxAge), stale-while-revalidate=\(maxAge)", .vary: "Authorization"]
        privateTypes = [.cacheControl: "private, no-cache", .vary: "Authorization"]
    }

    /// The caching headers of what is delivered of `type`.
    func caching(_ type: ContentType) -> HTTPFields {
        type.isPublic ? publicTypes : privateTypes
    }
}
