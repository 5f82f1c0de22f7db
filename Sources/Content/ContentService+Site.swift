import ApusCore
import Foundation

extension ContentService {
    /// What `/sitemap.xml` is: the one sitemap, or an index of `children` sitemaps.
    enum SitemapPlan: Sendable, Equatable {
        case single
        case index(children: Int)
    }

    func sitemapPlan() async throws -> SitemapPlan {
        let count = try await platform.read { [sitemapStore] sql in try await sitemapStore.count(on: sql) }
        guard count > settings.sitemapMaxURLs else { return .single }
        return .index(children: (count + settings.sitemapMaxURLs - 1) / settings.sitemapMaxURLs)
    }

    /// Writes the `<url>` elements of child sitemap `child` (1, 2, …; every URL when `nil`) a page
    /// of rows at a time, so memory stays flat however many there are.
    func writeSitemapURLs(child: Int?, base: String, _ write: (String) async throws -> Void) async throws {
        let types = try await types()
        let slugFields = Dictionary(types.compactMap { type in type.slugField.map { (type.id, $0.name) } }, uniquingKeysWith: { first, _ in first })
        // Each pattern is split once, keyed by its text (the rows carry it as it is now).
        var patterns: [String: SiteURLPattern] = [:]
        let limit = child == nil ? Int.max : settings.sitemapMaxURLs
        var key: (String, String)?
        var inclusive = false
        if let child {
            guard let start = try await platform.read({ [sitemapStore, settings] sql in
                try await sitemapStore.key(at: (child - 1) * settings.sitemapMaxURLs, on: sql)
            }) else { return }
            (key, inclusive) = (start, true)
        }
        var written = 0
        while written < limit {
            let pageSize = min(2_000, limit - written)
            let page = try await platform.read { [sitemapStore, key, inclusive] sql in
                try await sitemapStore.rows(from: key, inclusive: inclusive, limit: pageSize, slugFields: slugFields, on: sql)
            }
            guard let last = page.last else { return }
            var chunk = ""
            chunk.reserveCapacity(page.count * 120)
            for row in page {
                let pattern = patterns[row.urlPattern] ?? SiteURLPattern(row.urlPattern)
                patterns[row.urlPattern] = pattern
                guard let loc = pattern.url(base: base, id: row.entryID, locale: row.locale, slug: row.slug) else { continue }
                chunk += "<url><loc>"
                chunk += SiteURL.xmlEscaped(loc)
                chunk += "</loc>"
                if let published = row.publishedAt { chunk += "<lastmod>\(published)</lastmod>" }
                chunk += "</url>\n"
            }
            try await write(chunk)
            written += page.count
            (key, inclusive) = ((last.entryID, last.locale), false)
        }
    }

    /// The Atom feed of a public type's newest published entries.
    func feed(_ apiID: String, base: String) async throws -> String {
        let type = try await type(apiID)
        guard type.isPublic else { throw Problem.notFound("No content type \(apiID).") }
        let records = try await platform.read { [entryStore, settings] sql in
            try await entryStore.newestPublished(of: type.id, limit: settings.feedEntries, on: sql)
        }
        let self_ = "\(base)/feeds/\(type.apiId).atom"
        var entries = ""
        var updated = type.updatedAt
        let richText = type.fields.first { $0.kind == .richText }
        let titleField = type.field("title") ?? type.fields.first { $0.kind == .text }
        for record in records {
            guard let delivered = try await delivered(record.id, type: type, locale: type.defaultLocale) else { continue }
            let published = record.publishedAt ?? record.updatedAt
            updated = max(updated, published)
            let title = titleField.flatMap { field -> String? in
                if case .string(let text)? = delivered.json[field.name] { return text }
                return nil
            } ?? record.id
            entries += "<entry><id>urn:apus:content:\(record.id)</id><title>\(SiteURL.xmlEscaped(title))</title>"
            entries += "<updated>\(Timestamp.format(published))</updated><published>\(Timestamp.format(published))</published>"
            if let pattern = type.urlPattern,
               let link = SiteURL.make(base: base, pattern: pattern, id: record.id, locale: type.defaultLocale, slug: delivered.slug) {
                entries += "<link rel=\"alternate\" href=\"\(SiteURL.xmlEscaped(link))\"/>"
            }
            if let richText, case .string(let html)? = delivered.json[richText.name] {
                entries += "<content type=\"html\">\(SiteURL.xmlEscaped(html))</content>"
            }
            entries += "</entry>\n"
        }
        return """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
            <id>\(SiteURL.xmlEscaped(self_))</id><title>\(SiteURL.xmlEscaped(type.name))</title>
            <updated>\(Timestamp.format(updated))</updated>
            <link rel="self" type="application/atom+xml" href="\(SiteURL.xmlEscaped(self_))"/><link rel="alternate" href="\(SiteURL.xmlEscaped(base))/"/>
            <author><name>\(SiteURL.xmlEscaped(type.name))</name></author>
            \(entries)</feed>

            """
    }
}
