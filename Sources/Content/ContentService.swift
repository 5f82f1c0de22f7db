import ApusCore
import Foundation

/// The content module's domain: types, entries and their workflow, revisions and delivery. It
/// owns the transactions; the stores only run SQL.
final class ContentService: Sendable {
    let platform: Platform
    let settings: ContentSettings
    let typeStore = TypeStore()
    let entryStore = EntryStore()
    let revisionStore = RevisionStore()
    let uniqueStore = UniqueValueStore()
    let sitemapStore = SitemapStore()
    let searchStore = SearchStore()
    let fieldIndex = FieldIndexStore()
    /// Types by api id: every content request reads one.
    let typeCache: BusInvalidatedCache<String, ContentType>
    /// Published entries as readers get them, by entry, locale and type version.
    let deliveredCache: BusInvalidatedCache<DeliveredKey, DeliveredEntry>
    /// Published slugs to the entry they lead to, by type, locale and slug.
    let slugCache: BusInvalidatedCache<SlugKey, String>
    /// Entries' types by entry id, for references that may name any type.
    let entryTypeCache: BusInvalidatedCache<String, String>
    let metrics: ContentMetrics
    /// The caching headers delivered entries are answered with.
    let deliveryHeaders: DeliveryHeaders
    let richText = RichTextRenderer()

    init(platform: Platform, settings: ContentSettings) {
        self.platform = platform
        self.settings = settings
        typeCache = platform.cache("content.types", capacity: 1_000, lifetime: .seconds(300))
        deliveredCache = platform.cache("content.delivered", capacity: 20_000, lifetime: .seconds(300), countHitsAndMisses: true)
        slugCache = platform.cache("content.slugs", capacity: 50_000, lifetime: .seconds(300), missLifetime: .seconds(5))
        entryTypeCache = platform.cache("content.entry-types", capacity: 50_000, lifetime: .seconds(3600))
        metrics = ContentMetrics(registry: platform.metrics)
        deliveryHeaders = DeliveryHeaders(settings: settings)
    }

    /// The payload of an event about `entry`.
    func payload(_ entry: EntryRecord, type: ContentType, values: EntryValues) -> ContentEvents.Payload {
        let slug = type.slugField.flatMap { field -> String? in
            guard case .string(let text) = EntryValues.merged(values.draft, locale: type.defaultLocale, type: type)[field.name] else { return nil }
            return text
        }
        return ContentEvents.Payload(
            id: entry.id, type: type.apiId, status: entry.status.rawValue, authorId: entry.authorID, slug: slug,
            publishedAt: entry.publishedAt.map(Timestamp.format), version: entry.version
        )
    }

    /// Drops what readers were served of `entry` on every node, once the transaction commits.
    func invalidateDelivery(of entryID: String, type: ContentType, slugs: [(locale: String, slug: String)], in transaction: Transaction) {
        for locale in type.locales {
            transaction.invalidate(deliveredCache, DeliveredKey(entryID, locale: locale, type: type))
        }
        for (locale, slug) in slugs {
            transaction.invalidate(slugCache, SlugKey(typeID: type.id, locale: locale, slug: slug))
        }
    }
}
