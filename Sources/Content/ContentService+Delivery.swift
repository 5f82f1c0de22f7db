import ApusCore
import ApusKit
import Crypto
import Foundation
import HTTPTypes
import NIOCore

/// A published entry as readers get it: its JSON, the tag that names it, and the slug it now
/// lives under.
struct DeliveredEntry: Sendable {
    private(set) var json: JSONValue
    /// The encoded JSON, kept as the bytes a response writes so a cache hit copies nothing.
    private(set) var body: ByteBuffer
    private(set) var etag: EntityTag
    /// The headers of a 200 with `body`: its caching headers, tag, type and length, made once
    /// with the body so a cache hit sets none of them.
    private(set) var headers: HTTPFields
    var slug: String?

    /// The entry with `json` as its body, answered with `caching` (``DeliveryHeaders``).
    init(json: JSONValue, slug: String?, caching: HTTPFields) throws {
        let data = try ContentJSON.data(json)
        self.json = json
        self.body = ByteBuffer(bytes: data)
        self.etag = Self.tag(for: data)
        self.slug = slug
        var headers = caching
        headers.append(HTTPField(name: .eTag, value: etag.header))
        headers.append(HTTPField(name: .contentType, value: "application/json"))
        headers.append(HTTPField(name: .contentLength, value: String(data.count)))
        self.headers = headers
    }

    /// A strong tag for a body: the start of its SHA-256.
    static func tag(for body: Data) -> EntityTag {
        EntityTag(Array(SHA256.hash(data: body).prefix(12)).hexEncoded)
    }
}

extension ContentService {
    /// What a slug lookup found.
    enum SlugLookup: Sendable {
        case entry(DeliveredEntry)
        /// The slug is an old one of the entry: it lives at this slug now.
        case moved(String)
    }

    /// The type, if the caller may read what is published of it: strangers read public
    /// types only, and learn nothing of the others (404).
    func readableType(_ apiID: String, by principal: Principal?) async throws -> ContentType {
        let type = try await type(apiID)
        guard type.isPublic || principal?.has(ContentModule.read) == true else { throw Problem.notFound("No content type \(apiID).") }
        return type
    }

    /// A page of the type's published entries in one locale that pass `query`'s filters, in its
    /// order (oldest first by default), each with where the next page would start.
    func published(
        _ type: ContentType, locale: String, query: DeliveryQuery, limit: Int, after cursor: DeliveryCursor?
    ) async throws -> [(position: DeliveryCursor, entry: DeliveredEntry)] {
        let positions = try await platform.read { [fieldIndex] sql in
            try await fieldIndex.page(of: type, query, limit: limit, after: cursor, on: sql)
        }
        var entries: [(position: DeliveryCursor, entry: DeliveredEntry)] = []
        for position in positions {
            if let delivered = try await delivered(position.id, type: type, locale: locale) { entries.append((position, delivered)) }
        }
        return entries
    }

    /// The published entry under `slug` in `locale`, or where it moved.
    func bySlug(_ type: ContentType, locale: String, slug: String) async throws -> SlugLookup {
        guard let field = type.slugField else { throw Problem.notFound("Type \(type.apiId) has no slugs.") }
        let slugLocale = type.storageLocale(of: field, writing: locale)
        // Closures capture `self`, not copies of its members: a hit then retains one reference.
        let entryID = try await slugCache.value(for: SlugKey(typeID: type.id, locale: slugLocale, slug: slug)) { [self] in
            try await platform.read.primary { [self] sql in try await uniqueStore.publishedEntry(slug: slug, locale: slugLocale, type: type.id, on: sql) }
        }
        guard let entryID, let entry = try await delivered(entryID, type: type, locale: locale) else {
            throw Problem.notFound("Nothing is published under \(slug).")
        }
        if entry.slug == slug { return .entry(entry) }
        guard let current = entry.slug else { throw Problem.notFound("Nothing is published under \(slug).") }
        return .moved(current)
    }

    /// The published entry as readers get it, from the node's cache.
    func delivered(_ id: String, type: ContentType, locale: String) async throws -> DeliveredEntry? {
        // Cache loads read the primary: a replica's older version would stay cached.
        try await deliveredCache.value(for: DeliveredKey(id, locale: locale, type: type)) { [self] in
            try await platform.read.primary { [self] sql in
                guard let entry = try await entryStore.entry(id, of: type.id, on: sql), entry.isPublished else { return nil }
                let values = try await entryStore.values(of: id, locales: [type.defaultLocale, locale], on: sql)
                return try render(entry, values: EntryValues.merged(values.published, locale: locale, type: type), type: type, locale: locale)
            }
        }
    }

    /// Readers' JSON of an entry: rich text as safe HTML, never its Markdown.
    func render(_ entry: EntryRecord, values: FieldValues, type: ContentType, locale: String) throws -> DeliveredEntry {
        var members: [String: JSONValue] = [
            "id": .string(entry.id), "type": .string(type.apiId), "locale": .string(locale),
            "published_at": entry.publishedAt.map { .string(Timestamp.format($0)) } ?? .null,
        ]
        var slug: String?
        for field in type.fields {
            let value = values[field.name] ?? .null
            switch (field.kind, value) {
            case (.richText, .string(let markdown)): members[field.name] = .string(richText.html(from: markdown))
            case (.slug, .string(let text)): slug = text; members[field.name] = value
            default: members[field.name] = value
            }
        }
        return try DeliveredEntry(json: .object(members), slug: slug, caching: deliveryHeaders.caching(type))
    }
}
