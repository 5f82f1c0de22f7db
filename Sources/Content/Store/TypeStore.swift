import ApusCore
import Foundation
import SQLKit

/// Content types' SQL, run on the connection it is given.
struct TypeStore: Sendable {
    static let columns = "id, api_id, name, public, url_pattern, default_locale, locales, fields, version, created_at, updated_at"

    /// Inserts `type`; `false` when its api id is taken.
    func insert(_ type: ContentType, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("""
            INSERT INTO content_types (\(unsafeRaw: Self.columns))
            VALUES (\(bind: type.id), \(bind: type.apiId), \(bind: type.name), \(bind: type.isPublic ? 1 : 0), \(bind: type.urlPattern),
                    \(bind: type.defaultLocale), \(bind: try Self.encode(type.locales)), \(bind: try Self.encode(type.fields)),
                    \(bind: type.version), \(bind: Timestamp.format(type.createdAt)), \(bind: Timestamp.format(type.updatedAt)))
            ON CONFLICT (api_id) DO NOTHING RETURNING id
            """).first() != nil
    }

    func type(apiID: String, on sql: any SQLDatabase) async throws -> ContentType? {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM content_types WHERE api_id = \(bind: apiID)").first().map(Self.type(from:))
    }

    func type(id: String, on sql: any SQLDatabase) async throws -> ContentType? {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM content_types WHERE id = \(bind: id)").first().map(Self.type(from:))
    }

    func types(on sql: any SQLDatabase) async throws -> [ContentType] {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM content_types ORDER BY api_id").all().map(Self.type(from:))
    }

    /// Replaces the type's definition if it is still at `version`; `false` when it moved on.
    func update(_ type: ContentType, from version: Int, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("""
            UPDATE content_types SET name = \(bind: type.name), public = \(bind: type.isPublic ? 1 : 0), url_pattern = \(bind: type.urlPattern),
                locales = \(bind: try Self.encode(type.locales)), fields = \(bind: try Self.encode(type.fields)),
                version = \(bind: type.version), updated_at = \(bind: Timestamp.format(type.updatedAt))
            WHERE id = \(bind: type.id) AND version = \(bind: version) RETURNING id
            """).first() != nil
    }

    private static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try APIJSON.encoder.encode(value), as: UTF8.self)
    }

    static func type(from row: any SQLRow) throws -> ContentType {
        ContentType(
            id: try row.decode(column: "id", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            apiId: try row.decode(column: "api_id", as: String.self),
            isPublic: try row.decode(column: "public", as: Int.self) == 1,
            urlPattern: try row.decode(column: "url_pattern", as: String?.self),
            defaultLocale: try row.decode(column: "default_locale", as: String.self),
            locales: try APIJSON.decoder.decode([String].self, from: Data(try row.decode(column: "locales", as: String.self).utf8)),
            fields: try APIJSON.decoder.decode([FieldDefinition].self, from: Data(try row.decode(column: "fields", as: String.self).utf8)),
            version: try row.decode(column: "version", as: Int.self),
            createdAt: try Timestamp.decode(row, column: "created_at"),
            updatedAt: try Timestamp.decode(row, column: "updated_at")
        )
    }
}
