import ApusCore
import Foundation
import SQLKit

/// The published values of indexed fields (`content_field_values`), and the delivery API's
/// filtered, sorted pages read from them. Rows exist only for published entries: publishing
/// writes an entry's rows, withdrawing and deleting remove them, and a change to which fields
/// are indexed rebuilds a type's.
struct FieldIndexStore: Sendable {
    /// Writes `entry`'s rows from its published values (the default locale's row, which holds
    /// every field that is not localised, and indexed fields never are).
    func replace(entry id: String, type: ContentType, published: FieldValues, on sql: any SQLDatabase) async throws {
        try await remove(entry: id, on: sql)
        for field in type.fields where field.indexed {
            let value = IndexedValue(published[field.name], field: field)
            try await sql.raw("""
                INSERT INTO content_field_values (entry_id, field, type_id, text_value, number_value)
                VALUES (\(bind: id), \(bind: field.name), \(bind: type.id), \(bind: value?.text), \(bind: value?.number))
                """).run()
        }
    }

    func remove(entry id: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM content_field_values WHERE entry_id = \(bind: id)").run()
    }

    /// Rewrites every row of `type`, after its indexed fields changed.
    func rebuild(_ type: ContentType, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM content_field_values WHERE type_id = \(bind: type.id)").run()
        guard type.fields.contains(where: \.indexed) else { return }
        var cursor = ""
        while true {
            let rows = try await sql.raw("""
                SELECT e.id AS id, l.published AS published FROM content_entries e
                JOIN content_entry_locales l ON l.entry_id = e.id AND l.locale = \(bind: type.defaultLocale)
                WHERE e.type_id = \(bind: type.id) AND e.status = 'published' AND e.id > \(bind: cursor) AND l.published IS NOT NULL
                ORDER BY e.id LIMIT 500
                """).all()
            for row in rows {
                let id = try row.decode(column: "id", as: String.self)
                try await replace(entry: id, type: type, published: try StoredJSON.decode(try row.decode(column: "published", as: String.self)), on: sql)
                cursor = id
            }
            if rows.count < 500 { return }
        }
    }

    /// A page of the type's published entries that pass `query`'s filters, in its order, after
    /// `cursor`: each entry's id with its sort value (for the next page's cursor).
    func page(
        of type: ContentType, _ query: DeliveryQuery, limit: Int, after cursor: DeliveryCursor?, on sql: any SQLDatabase
    ) async throws -> [DeliveryCursor] {
        var text = SQLQueryString("SELECT e.id AS id")
        let column: SQLQueryString?
        let numeric: Bool
        switch query.sort {
        case .id:
            column = nil
            numeric = false
        case .publishedAt:
            column = "e.published_at"
            numeric = false
        case .field(let field):
            numeric = field.kind == .number
            column = numeric ? "s.number_value" : "s.text_value"
        }
        if let column { text += ", \(column) AS sort_value" }
        text += " FROM content_entries e"
        for (index, filter) in query.filters.enumerated() {
            let alias = "f\(index)"
            let condition: SQLQueryString = switch filter.value {
            case .text(let value): "\(unsafeRaw: alias).text_value = \(bind: value)"
            case .number(let value): "\(unsafeRaw: alias).number_value = \(bind: value)"
            }
            text += """
                 JOIN content_field_values \(unsafeRaw: alias) ON \(unsafeRaw: alias).type_id = \(bind: type.id) \
                AND \(unsafeRaw: alias).field = \(bind: filter.field.name) AND \(unsafeRaw: alias).entry_id = e.id AND \(condition)
                """
        }
        if case .field(let field) = query.sort {
            text += " LEFT JOIN content_field_values s ON s.entry_id = e.id AND s.field = \(bind: field.name)"
        }
        text += " WHERE e.type_id = \(bind: type.id) AND e.status = 'published'"
        let after = query.descending ? "<" : ">"
        if let cursor {
            if let column {
                // Entries without a value come after every entry with one, in id order.
                if let value = cursor.value {
                    let bound: SQLQueryString = switch value {
                    case .text(let text): "\(bind: text)"
                    case .number(let number): "\(bind: number)"
                    }
                    text += """
                         AND (\(column) IS NULL OR \(column) \(unsafeRaw: after) \(bound) \
                        OR (\(column) = \(bound) AND e.id \(unsafeRaw: after) \(bind: cursor.id)))
                        """
                } else {
                    text += " AND \(column) IS NULL AND e.id \(unsafeRaw: after) \(bind: cursor.id)"
                }
            } else {
                text += " AND e.id \(unsafeRaw: after) \(bind: cursor.id)"
            }
        }
        let direction = query.descending ? "DESC" : "ASC"
        text += " ORDER BY "
        if let column { text += "CASE WHEN \(column) IS NULL THEN 1 ELSE 0 END, \(column) \(unsafeRaw: direction), " }
        text += "e.id \(unsafeRaw: direction) LIMIT \(bind: limit)"
        return try await sql.raw(text).all().map { row in
            let id = try row.decode(column: "id", as: String.self)
            guard column != nil else { return DeliveryCursor(value: nil, id: id) }
            if numeric { return DeliveryCursor(value: try row.decode(column: "sort_value", as: Double?.self).map(IndexedValue.number), id: id) }
            return DeliveryCursor(value: try row.decode(column: "sort_value", as: String?.self).map(IndexedValue.text), id: id)
        }
    }
}

extension IndexedValue {
    var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    var number: Double? {
        if case .number(let number) = self { return number }
        return nil
    }
}
