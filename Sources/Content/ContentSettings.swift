import ApusCore

/// What the content module reads from the node's settings.
struct ContentSettings: Sendable {
    /// How long after an autosave a later autosave by the same author updates it in place
    /// instead of adding a revision (`APUS_CONTENT_AUTOSAVE_WINDOW`).
    var autosaveWindow: Double = 300
    /// `max-age` of published entries of public types, for browsers and CDNs
    /// (`APUS_CONTENT_CACHE_MAX_AGE`, seconds).
    var cacheMaxAge = 60
    /// How often a node counts schedules past their time (`APUS_CONTENT_OVERDUE_CHECK_EVERY`).
    var overdueCheckInterval: Double = 60

    /// URLs in one sitemap before `/sitemap.xml` becomes an index of several
    /// (`APUS_CONTENT_SITEMAP_MAX_URLS`; the sitemaps.org limit is 50,000).
    var sitemapMaxURLs = 50_000
    /// Entries in a type's Atom feed (`APUS_CONTENT_FEED_ENTRIES`).
    var feedEntries = 50
    /// How long a preview token lasts when its request names no lifetime
    /// (`APUS_CONTENT_PREVIEW_LIFETIME`, seconds).
    var previewLifetime = 3_600
    /// The lifetimes a preview token may be given: a token cannot be revoked, so a week at most.
    static let previewLifetimes = 60...(7 * 86_400)

    init(_ settings: Settings) throws(ConfigurationError) {
        sitemapMaxURLs = try settings.integer("APUS_CONTENT_SITEMAP_MAX_URLS", in: 1...50_000, default: sitemapMaxURLs)
        feedEntries = try settings.integer("APUS_CONTENT_FEED_ENTRIES", in: 1...500, default: feedEntries)
        autosaveWindow = try settings.seconds("APUS_CONTENT_AUTOSAVE_WINDOW", default: autosaveWindow)
        cacheMaxAge = try settings.integer("APUS_CONTENT_CACHE_MAX_AGE", in: 0...31_536_000, default: cacheMaxAge)
        overdueCheckInterval = try settings.seconds("APUS_CONTENT_OVERDUE_CHECK_EVERY", default: overdueCheckInterval)
        previewLifetime = try settings.integer("APUS_CONTENT_PREVIEW_LIFETIME", in: Self.previewLifetimes, default: previewLifetime)
    }
}
