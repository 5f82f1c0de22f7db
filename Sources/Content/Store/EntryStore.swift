import ApusCore
import Foundation
import SQLKit

/// Entries' SQL: their rows and their values per locale, run on the connection it is given.
struct EntryStore: Sendable {
    static let columns = "id, type_id, author_id, status, publish_at, unpublish_at, published_at, unpublished_changes, version, created_at, updated_at"

    func insert(_ entry: EntryRecord, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO content_entries (\(unsafeRaw: Self.columns))
            VALUES (\(bind: entry.id), \(bind: entry.typeID), \(bind: entry.authorID), \(bind: entry.status.rawValue),
                    \(bind: entry.publishAt.map(Timestamp.format)), \(bind: entry.unpublishAt.map(Timestamp.format)),
                    \(bind: entry.publishedAt.map(Timestamp.format)), \(bind: entry.unpublishedChanges ? 1 : 0), \(bind: entry.version),
                    \(bind: Timestamp.format(entry.createdAt)), \(bind: Timestamp.format(entry.updatedAt)))
            """).run()
    }

    func entry(_ id: String, of typeID: String, on sql: any SQLDatabase) async throws -> EntryRecord? {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM content_entries WHERE id = \(bind: id) AND type_id = \(bind: typeID)")
            .first().map(Self.entry(from:))
    }

    func entry(_ id: String, on sql: any SQLDatabase) async throws -> EntryRecord? {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM content_entries WHERE id = \(bind: id)").first().map(Self.entry(from:))
    }

    /// A page of the type's entries by id, of one status when given.
    func entries(of typeID: String, status: EntryStatus?, limit: Int, after cursor: String?, on sql: any SQLDatabase) async throws -> [EntryRecord] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM content_entries
            WHERE type_id = \(bind: typeID) AND id > \(bind: cursor ?? "") AND (\(bind: status?.rawValue ?? "") = '' OR status = \(bind: status?.rawValue ?? ""))
            ORDER BY id LIMIT \(bind: limit)
            """).all().map(Self.entry(from:))
    }

    func count(of typeID: String, on sql: any SQLDatabase) async throws -> Int {
        try await sql.raw("SELECT COUNT(*) AS n FROM content_entries WHERE type_id = \(bind: typeID)").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Writes the entry's row if it is still at `version` (any when `nil`); `false` when it moved
    /// on or is gone. The version in the condition is the optimistic lock.
    func update(_ entry: EntryRecord, from version: Int?, on sql: any SQLDatabase) async throws -> Bool {
        let condition: SQLQueryString = version.map { " AND version = \(bind: $0)" } ?? ""
        return try await sql.raw("""
            UPDATE content_entries SET status = \(bind: entry.status.rawValue), publish_at = \(bind: entry.publishAt.map(Timestamp.format)),
                unpublish_at = \(bind: entry.unpublishAt.map(Timestamp.format)), published_at = \(bind: entry.publishedAt.map(Timestamp.format)),
                unpublished_changes = \(bind: entry.unpublishedChanges ? 1 : 0), version = \(bind: entry.version),
                updated_at = \(bind: Timestamp.format(entry.updatedAt))
            WHERE id = \(bind: entry.id)\(condition) RETURNING id
            """).first() != nil
    }

    func delete(_ id: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM content_entry_locales WHERE entry_id = \(bind: id)").run()
        try await sql.raw("DELETE FROM content_revisions WHERE entry_id = \(bind: id)").run()
        try await sql.raw("DELETE FROM content_unique_values WHERE entry_id = \(bind: id)").run()
        try await sql.raw("DELETE FROM content_published_slugs WHERE entry_id = \(bind: id)").run()
        try await sql.raw("DELETE FROM content_field_values WHERE entry_id = \(bind: id)").run()
        try await sql.raw("DELETE FROM content_entries WHERE id = \(bind: id)").run()
    }

    // MARK: Values per locale

    /// The entry's values in `locales` (every locale it has when `nil`).
    func values(of id: String, locales: [String]? = nil, on sql: any SQLDatabase) async throws -> EntryValues {
        let filter: SQLQueryString = locales.map { " AND locale IN (\(SQLList($0.map { SQLBind($0) })))" } ?? ""
        var values = EntryValues()
        for row in try await sql.raw("SELECT locale, draft, published FROM content_entry_locales WHERE entry_id = \(bind: id)\(filter)").all() {
            let locale = try row.decode(column: "locale", as: String.self)
            values.draft[locale] = try StoredJSON.decode(try row.decode(column: "draft", as: String.self))
            if let published = try row.decode(column: "published", as: String?.self) {
                values.published[locale] = try StoredJSON.decode(published)
            }
        }
        return values
    }

    /// Writes the draft values of `locale`, adding its row when the entry has none yet.
    func setDraft(_ values: FieldValues, of id: String, locale: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO content_entry_locales (entry_id, locale, draft) VALUES (\(bind: id), \(bind: locale), \(bind: try StoredJSON.encode(values)))
            ON CONFLICT (entry_id, locale) DO UPDATE SET draft = excluded.draft
            """).run()
    }

    /// Makes every locale's draft what readers see.
    func publishDrafts(of id: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE content_entry_locales SET published = draft WHERE entry_id = \(bind: id)").run()
    }

    /// Withdraws what readers see, keeping the drafts.
    func withdraw(_ id: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE content_entry_locales SET published = NULL WHERE entry_id = \(bind: id)").run()
    }

    /// The type's most recently published entries, newest first (a feed).
    func newestPublished(of typeID: String, limit: Int, on sql: any SQLDatabase) async throws -> [EntryRecord] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM content_entries
            WHERE type_id = \(bind: typeID) AND status = 'published'
            ORDER BY published_at DESC, id DESC LIMIT \(bind: limit)
            """).all().map(Self.entry(from:))
    }

    /// Entries whose scheduled publication is past `now` and still waiting.
    func overdueSchedules(before now: Date, on sql: any SQLDatabase) async throws -> Int {
        try await sql.raw("""
            SELECT COUNT(*) AS n FROM content_entries WHERE status = 'scheduled' AND publish_at < \(bind: Timestamp.format(now))
            """).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    static func entry(from row: any SQLRow) throws -> EntryRecord {
        EntryRecord(
            id: try row.decode(column: "id", as: String.self),
            typeID: try row.decode(column: "type_id", as: String.self),
            authorID: try row.decode(column: "author_id", as: String.self),
            status: EntryStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .draft,
            publishAt: try row.decode(column: "publish_at", as: String?.self).flatMap(Timestamp.parse),
            unpublishAt: try row.decode(column: "unpublish_at", as: String?.self).flatMap(Timestamp.parse),
            publishedAt: try row.decode(column: "published_at", as: String?.self).flatMap(Timestamp.parse),
            unpublishedChanges: try row.decode(column: "unpublished_changes", as: Int.self) == 1,
            version: try row.decode(column: "version", as: Int.self),
            createdAt: try Timestamp.decode(row, column: "created_at"),
            updatedAt: try Timestamp.decode(row, column: "updated_at")
        )
    }
}
