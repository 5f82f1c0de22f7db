import ApusCore
import Foundation
import SQLKit

/// One URL of the sitemap: a published entry of a public type in one locale.
struct SitemapRow: Sendable {
    var entryID: String
    var locale: String
    var publishedAt: Date?
    var typeAPIID: String
    var urlPattern: String
    var defaultLocale: String
    /// The locale's published values, as stored (its slug among them).
    var values: String
}

/// The sitemap's SQL: every published entry of a public type with a URL pattern, once per
/// locale when the pattern names the locale, else in the default locale; in `(entry, locale)`
/// order, read a page at a time from a key so a sitemap of any size is never held whole.
struct SitemapStore: Sendable {
    private static let from = """
        FROM content_entries e
        JOIN content_types t ON t.id = e.type_id
        JOIN content_entry_locales l ON l.entry_id = e.id
        WHERE e.status = 'published' AND t.public = 1 AND t.url_pattern IS NOT NULL AND l.published IS NOT NULL
          AND (l.locale = t.default_locale OR t.url_pattern LIKE '%{locale}%')
        """

    func count(on sql: any SQLDatabase) async throws -> Int {
        try await sql.raw("SELECT COUNT(*) AS n \(unsafeRaw: Self.from)").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// The key of the row `offset` rows in: where a child sitemap starts.
    func key(at offset: Int, on sql: any SQLDatabase) async throws -> (String, String)? {
        guard let row = try await sql.raw("""
            SELECT e.id AS id, l.locale AS locale \(unsafeRaw: Self.from) ORDER BY e.id, l.locale LIMIT 1 OFFSET \(bind: offset)
            """).first() else { return nil }
        return (try row.decode(column: "id", as: String.self), try row.decode(column: "locale", as: String.self))
    }

    /// Up to `limit` rows from `key` on (from the start when `nil`), `key` included when `inclusive`.
    func rows(from key: (String, String)?, inclusive: Bool, limit: Int, on sql: any SQLDatabase) async throws -> [SitemapRow] {
        let after: SQLQueryString = key.map { key in
            inclusive
                ? " AND (e.id > \(bind: key.0) OR (e.id = \(bind: key.0) AND l.locale >= \(bind: key.1)))"
                : " AND (e.id > \(bind: key.0) OR (e.id = \(bind: key.0) AND l.locale > \(bind: key.1)))"
        } ?? ""
        return try await sql.raw("""
            SELECT e.id AS id, l.locale AS locale, e.published_at AS published_at, t.api_id AS api_id, t.url_pattern AS url_pattern,
                   t.default_locale AS default_locale, l.published AS published
            \(unsafeRaw: Self.from)\(after) ORDER BY e.id, l.locale LIMIT \(bind: limit)
            """).all().map { row in
            SitemapRow(
                entryID: try row.decode(column: "id", as: String.self),
                locale: try row.decode(column: "locale", as: String.self),
                publishedAt: try row.decode(column: "published_at", as: String?.self).flatMap(Timestamp.parse),
                typeAPIID: try row.decode(column: "api_id", as: String.self),
                urlPattern: try row.decode(column: "url_pattern", as: String.self),
                defaultLocale: try row.decode(column: "default_locale", as: String.self),
                values: try row.decode(column: "published", as: String.self)
            )
        }
    }
}
