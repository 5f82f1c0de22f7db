import ApusCore
import Foundation
import SQLKit

/// Claims on unique values (a unique field's value, a slug) per type, field and locale, and
/// the slugs each entry was ever published under. The primary key is the rule, so two saves
/// racing for one value cannot both win.
struct UniqueValueStore: Sendable {
    /// Claims `value` of `field` for `entryID`, releasing what the entry held before; `false`
    /// when another entry holds it.
    func claim(_ value: String, field: String, locale: String, type typeID: String, for entryID: String, on sql: any SQLDatabase) async throws -> Bool {
        if let holder = try await holder(of: value, field: field, locale: locale, type: typeID, on: sql) {
            return holder == entryID
        }
        try await release(field: field, locale: locale, of: entryID, on: sql)
        return try await sql.raw("""
            INSERT INTO content_unique_values (type_id, field, locale, value, entry_id)
            VALUES (\(bind: typeID), \(bind: field), \(bind: locale), \(bind: value), \(bind: entryID))
            ON CONFLICT (type_id, field, locale, value) DO NOTHING RETURNING entry_id
            """).first() != nil
    }

    func holder(of value: String, field: String, locale: String, type typeID: String, on sql: any SQLDatabase) async throws -> String? {
        try await sql.raw("""
            SELECT entry_id FROM content_unique_values
            WHERE type_id = \(bind: typeID) AND field = \(bind: field) AND locale = \(bind: locale) AND value = \(bind: value)
            """).first()?.decode(column: "entry_id", as: String.self)
    }

    func release(field: String, locale: String, of entryID: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            DELETE FROM content_unique_values WHERE entry_id = \(bind: entryID) AND field = \(bind: field) AND locale = \(bind: locale)
            """).run()
    }

    /// Drops every claim on `field`'s values: the field is no longer unique.
    func releaseAll(field: String, type typeID: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM content_unique_values WHERE type_id = \(bind: typeID) AND field = \(bind: field)").run()
    }

    /// Records that `entryID` is published under `slug`: the slug now leads to it, even if
    /// another entry was published under it before.
    func recordPublished(slug: String, locale: String, type typeID: String, entryID: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO content_published_slugs (type_id, locale, slug, entry_id)
            VALUES (\(bind: typeID), \(bind: locale), \(bind: slug), \(bind: entryID))
            ON CONFLICT (type_id, locale, slug) DO UPDATE SET entry_id = excluded.entry_id
            """).run()
    }

    /// Every slug `entryID` was published under, by locale.
    func publishedSlugs(of entryID: String, on sql: any SQLDatabase) async throws -> [(locale: String, slug: String)] {
        try await sql.raw("SELECT locale, slug FROM content_published_slugs WHERE entry_id = \(bind: entryID)").all().map { row in
            (locale: try row.decode(column: "locale", as: String.self), slug: try row.decode(column: "slug", as: String.self))
        }
    }

    /// The entry a published slug leads to.
    func publishedEntry(slug: String, locale: String, type typeID: String, on sql: any SQLDatabase) async throws -> String? {
        try await sql.raw("""
            SELECT entry_id FROM content_published_slugs WHERE type_id = \(bind: typeID) AND locale = \(bind: locale) AND slug = \(bind: slug)
            """).first()?.decode(column: "entry_id", as: String.self)
    }
}
