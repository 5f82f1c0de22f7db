import ApusCore
import Foundation
import SQLKit

/// One URL of the sitemap: a published entry of a public type in one locale.
struct SitemapRow: Sendable {
    var entryID: String
    var locale: String
    /// As stored: the canonical UTC form, which is a W3C datetime as sitemaps want.
    var publishedAt: String?
    var typeID: String
    var urlPattern: String
    /// The slug it is published under in this locale (the default locale's when slugs are not
    /// localised), read from the stored JSON by the database.
    var slug: String?
}

/// The sitemap's SQL: every published entry of a public type with a URL pattern, once per
/// locale when the pattern names the locale, else in the default locale; in `(entry, locale)`
/// order, read a page at a time from a key so a sitemap of any size is never held whole.
struct SitemapStore: Sendable {
    // Rows are walked in the order of the locales table's key, `(entry_id, locale)`, and a page
    // starts from a row-value comparison on it, so each page is an index range read. The CROSS
    // JOIN keeps SQLite's planner from starting at entries by status (its choice without
    // statistics), which sorts every published entry again for each page.
    private static let from = """
        FROM content_entry_locales l
        CROSS JOIN content_entries e
        JOIN content_types t ON t.id = e.type_id
        LEFT JOIN content_entry_locales d ON d.entry_id = e.id AND d.locale = t.default_locale
        WHERE e.id = l.entry_id AND e.status = 'published' AND t.public = 1 AND t.url_pattern IS NOT NULL AND l.published IS NOT NULL
          AND (l.locale = t.default_locale OR t.url_pattern LIKE '%{locale}%')
        """

    func count(on sql: any SQLDatabase) async throws -> Int {
        try await sql.raw("SELECT COUNT(*) AS n \(unsafeRaw: Self.from)").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// The key of the row `offset` rows in: where a child sitemap starts.
    func key(at offset: Int, on sql: any SQLDatabase) async throws -> (String, String)? {
        guard let row = try await sql.raw("""
            SELECT l.entry_id AS id, l.locale AS locale \(unsafeRaw: Self.from) ORDER BY l.entry_id, l.locale LIMIT 1 OFFSET \(bind: offset)
            """).first() else { return nil }
        return (try row.decode(column: "id", as: String.self), try row.decode(column: "locale", as: String.self))
    }

    /// Up to `limit` rows from `key` on (from the start when `nil`), `key` included when
    /// `inclusive`. `slugFields` names each type's slug field, for the database to read the slug
    /// out of the stored JSON (its own JSON functions are far cheaper than decoding it here).
    func rows(
        from key: (String, String)?, inclusive: Bool, limit: Int, slugFields: [String: String], on sql: any SQLDatabase
    ) async throws -> [SitemapRow] {
        let statement = Self.pageStatement(from: key, inclusive: inclusive, limit: limit, slugFields: slugFields, postgres: SearchStore.isPostgres(sql))
        return try await sql.raw(statement).all().map { row in
            SitemapRow(
                entryID: try row.decode(column: "id", as: String.self),
                locale: try row.decode(column: "locale", as: String.self),
                publishedAt: try row.decode(column: "published_at", as: String?.self),
                typeID: try row.decode(column: "type_id", as: String.self),
                urlPattern: try row.decode(column: "url_pattern", as: String.self),
                slug: try row.decode(column: "slug", as: String?.self)
            )
        }
    }

    /// The SELECT of one page of ``rows(from:inclusive:limit:slugFields:on:)``.
    static func pageStatement(
        from key: (String, String)?, inclusive: Bool, limit: Int, slugFields: [String: String], postgres: Bool
    ) -> SQLQueryString {
        let after: SQLQueryString = key.map { key in
            inclusive ? " AND (l.entry_id, l.locale) >= (\(bind: key.0), \(bind: key.1))" : " AND (l.entry_id, l.locale) > (\(bind: key.0), \(bind: key.1))"
        } ?? ""
        // The slug's JSON key per type: `CASE t.id WHEN … THEN … END`, null for types without one.
        var slugKey: SQLQueryString = "CASE t.id"
        for (typeID, field) in slugFields.sorted(by: { $0.key < $1.key }) {
            slugKey += " WHEN \(bind: typeID) THEN \(bind: postgres ? field : "$.\"\(field)\"")"
        }
        slugKey += " END"
        let slug: SQLQueryString = slugFields.isEmpty
            ? "NULL"
            : postgres
            ? "COALESCE(l.published::json ->> (\(slugKey)), d.published::json ->> (\(slugKey)))"
            : "COALESCE(json_extract(l.published, \(slugKey)), json_extract(d.published, \(slugKey)))"
        return """
            SELECT l.entry_id AS id, l.locale AS locale, e.published_at AS published_at, t.id AS type_id, t.url_pattern AS url_pattern,
                   \(slug) AS slug
            \(unsafeRaw: from)\(after) ORDER BY l.entry_id, l.locale LIMIT \(bind: limit)
            """
    }
}
