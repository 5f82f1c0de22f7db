import ApusCore
import Foundation
import SQLKit

/// Revisions' SQL.
struct RevisionStore: Sendable {
    static let columns = "id, entry_id, number, locale, author_id, change_note, field_values, autosave, created_at, updated_at"

    func insert(_ revision: Revision, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO content_revisions (\(unsafeRaw: Self.columns))
            VALUES (\(bind: revision.id), \(bind: revision.entryID), \(bind: revision.number), \(bind: revision.locale), \(bind: revision.authorID),
                    \(bind: revision.changeNote), \(bind: try StoredJSON.encode(revision.values)), \(bind: revision.autosave ? 1 : 0),
                    \(bind: Timestamp.format(revision.createdAt)), \(bind: Timestamp.format(revision.updatedAt)))
            """).run()
    }

    /// Replaces an autosave's values in place.
    func update(autosave revision: Revision, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            UPDATE content_revisions SET field_values = \(bind: try StoredJSON.encode(revision.values)), change_note = \(bind: revision.changeNote),
                updated_at = \(bind: Timestamp.format(revision.updatedAt))
            WHERE id = \(bind: revision.id)
            """).run()
    }

    func latest(of entryID: String, on sql: any SQLDatabase) async throws -> Revision? {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM content_revisions WHERE entry_id = \(bind: entryID) ORDER BY number DESC LIMIT 1")
            .first().map(Self.revision(from:))
    }

    func revision(_ number: Int, of entryID: String, on sql: any SQLDatabase) async throws -> Revision? {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM content_revisions WHERE entry_id = \(bind: entryID) AND number = \(bind: number)")
            .first().map(Self.revision(from:))
    }

    /// A page of the entry's revisions, newest first.
    func revisions(of entryID: String, limit: Int, before number: Int?, on sql: any SQLDatabase) async throws -> [Revision] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM content_revisions
            WHERE entry_id = \(bind: entryID) AND number < \(bind: number ?? Int(Int32.max))
            ORDER BY number DESC LIMIT \(bind: limit)
            """).all().map(Self.revision(from:))
    }

    static func revision(from row: any SQLRow) throws -> Revision {
        Revision(
            id: try row.decode(column: "id", as: String.self),
            entryID: try row.decode(column: "entry_id", as: String.self),
            number: try row.decode(column: "number", as: Int.self),
            locale: try row.decode(column: "locale", as: String.self),
            authorID: try row.decode(column: "author_id", as: String.self),
            changeNote: try row.decode(column: "change_note", as: String?.self),
            values: try StoredJSON.decode(try row.decode(column: "field_values", as: String.self)),
            autosave: try row.decode(column: "autosave", as: Int.self) == 1,
            createdAt: try Timestamp.decode(row, column: "created_at"),
            updatedAt: try Timestamp.decode(row, column: "updated_at")
        )
    }
}
