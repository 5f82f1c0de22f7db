import ApusCore
import Foundation
import SQLKit

/// One hit of a search.
struct SearchHit: Sendable {
    var entryID: String
    var typeID: String
    var locale: String
    var state: String
    var title: String
    var snippet: String
    var score: Double
}

/// What a search asks for: the words (all must match), or a phrase the word break found as
/// well; where to look and what the caller may see.
struct SearchQuery: Sendable {
    var words: [String]
    var phrase: [String]?
    var typeID: String?
    var locale: String?
    var states: [String]
    var publicOnly: Bool
    var limit: Int
}

/// The search index's SQL: FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL, behind one
/// interface. Rows are one view of an entry: its published or draft values in one locale.
struct SearchStore: Sendable {
    static func isPostgres(_ sql: any SQLDatabase) -> Bool { sql.dialect.name == "postgresql" }

    /// Replaces the indexed text of one view (`replacing: false` when the caller removed it
    /// already), and adds its words to the vocabulary.
    func index(entry: String, type: String, locale: String, state: String, title: String, body: String, replacing: Bool = true, on sql: any SQLDatabase) async throws {
        if replacing { try await remove(entry: entry, locale: locale, state: state, on: sql) }
        if Self.isPostgres(sql) {
            let config = SearchText.postgresConfiguration(locale)
            try await sql.raw("""
                INSERT INTO content_search (entry_id, type_id, locale, state, config, title, body, document)
                VALUES (\(bind: entry), \(bind: type), \(bind: locale), \(bind: state), \(bind: config), \(bind: title), \(bind: body),
                        setweight(to_tsvector(\(bind: config)::regconfig, \(bind: title)), 'A') || setweight(to_tsvector(\(bind: config)::regconfig, \(bind: body)), 'B'))
                """).run()
        } else {
            try await sql.raw("""
                INSERT INTO \(unsafeRaw: SearchText.sqliteTable(locale)) (entry_id, type_id, locale, state, title, body)
                VALUES (\(bind: entry), \(bind: type), \(bind: locale), \(bind: state), \(bind: title), \(bind: body))
                """).run()
            // The transaction's one connection: the rowid just inserted.
            try await sql.raw("""
                INSERT INTO content_search_rows (entry_id, locale, state, row_id)
                VALUES (\(bind: entry), \(bind: locale), \(bind: state), last_insert_rowid())
                """).run()
        }
        let words = Array(Set(SearchText.words(title + " " + body))).sorted()
        for start in stride(from: 0, to: words.count, by: 200) {
            let batch = words[start..<min(start + 200, words.count)]
            try await sql.raw("""
                INSERT INTO content_search_words (word) VALUES \(SQLList(batch.map { SQLGroupExpression(SQLBind($0)) }))
                ON CONFLICT (word) DO NOTHING
                """).run()
        }
    }

    /// Drops the indexed text of one view (every view of the entry when `locale` and `state`
    /// are `nil`).
    func remove(entry: String, locale: String? = nil, state: String? = nil, on sql: any SQLDatabase) async throws {
        let condition: SQLQueryString = """
            entry_id = \(bind: entry)
              AND (\(bind: locale ?? "") = '' OR locale = \(bind: locale ?? "")) AND (\(bind: state ?? "") = '' OR state = \(bind: state ?? ""))
            """
        guard !Self.isPostgres(sql) else {
            try await sql.raw("DELETE FROM content_search WHERE \(condition)").run()
            return
        }
        // By rowid: FTS5 would read every row to match an unindexed column.
        let rows = try await sql.raw("SELECT locale, row_id FROM content_search_rows WHERE \(condition)").all()
        for row in rows {
            let table = SearchText.sqliteTable(try row.decode(column: "locale", as: String.self))
            try await sql.raw("DELETE FROM \(unsafeRaw: table) WHERE rowid = \(bind: try row.decode(column: "row_id", as: Int64.self))").run()
        }
        if !rows.isEmpty { try await sql.raw("DELETE FROM content_search_rows WHERE \(condition)").run() }
    }

    /// Those of `words` the index has seen.
    func known(_ words: [String], on sql: any SQLDatabase) async throws -> Set<String> {
        guard !words.isEmpty else { return [] }
        return Set(try await sql.raw("""
            SELECT word FROM content_search_words WHERE word IN (\(SQLList(words.map { SQLBind($0) })))
            """).all().map { try $0.decode(column: "word", as: String.self) })
    }

    func search(_ query: SearchQuery, on sql: any SQLDatabase) async throws -> [SearchHit] {
        let rows = Self.isPostgres(sql) ? try await postgres(query, on: sql) : try await sqlite(query, on: sql)
        return try rows.map { row in
            SearchHit(
                entryID: try row.decode(column: "entry_id", as: String.self), typeID: try row.decode(column: "type_id", as: String.self),
                locale: try row.decode(column: "locale", as: String.self), state: try row.decode(column: "state", as: String.self),
                title: try row.decode(column: "title", as: String.self), snippet: try row.decode(column: "snippet", as: String?.self) ?? "",
                score: try row.decode(column: "score", as: Double.self)
            )
        }
    }

    private func filters(_ query: SearchQuery) -> SQLQueryString {
        var filter: SQLQueryString = " AND s.state IN (\(SQLList(query.states.map { SQLBind($0) })))"
        if let type = query.typeID { filter = filter + " AND s.type_id = \(bind: type)" }
        if let locale = query.locale { filter = filter + " AND s.locale = \(bind: locale)" }
        if query.publicOnly { filter = filter + " AND t.public = 1" }
        return filter
    }

    private func sqlite(_ query: SearchQuery, on sql: any SQLDatabase) async throws -> [any SQLRow] {
        // FTS5: each word quoted (all must match), or the phrase the word break found.
        var match = query.words.map { "\"\($0)\"" }.joined(separator: " ")
        if let phrase = query.phrase { match = "(\(match)) OR \"\(phrase.joined(separator: " "))\"" }
        let tables = query.locale.map { [SearchText.sqliteTable($0)] } ?? ["content_search_stemmed", "content_search_plain"]
        var union: SQLQueryString = ""
        for (index, table) in tables.enumerated() {
            if index > 0 { union = union + " UNION ALL " }
            union = union + """
                SELECT s.entry_id AS entry_id, t.api_id AS type_id, s.locale AS locale, s.state AS state, s.title AS title,
                       snippet(\(unsafeRaw: table), 5, \(bind: SearchText.markStart), \(bind: SearchText.markEnd), '…', 16) AS snippet,
                       -bm25(\(unsafeRaw: table), 0, 0, 0, 0, 5.0, 1.0) AS score
                FROM \(unsafeRaw: table) s JOIN content_types t ON t.id = s.type_id
                WHERE \(unsafeRaw: table) MATCH \(bind: match)
                """ + filters(query)
        }
        return try await sql.raw("SELECT * FROM (\(union)) hits ORDER BY score DESC, entry_id LIMIT \(bind: query.limit)").all()
    }

    private func postgres(_ query: SearchQuery, on sql: any SQLDatabase) async throws -> [any SQLRow] {
        var text = query.words.joined(separator: " & ")
        if let phrase = query.phrase { text = "(\(text)) | (\(phrase.joined(separator: " <-> ")))" }
        // One constant tsquery for every configuration in play, so the GIN index answers it.
        let configs = query.locale.map { [SearchText.postgresConfiguration($0)] }
            ?? ["simple", "english", "french", "german", "spanish", "italian", "portuguese", "dutch", "swedish", "danish",
                "finnish", "norwegian", "russian", "hungarian", "romanian", "turkish"]
        var tsquery: SQLQueryString = ""
        for (index, config) in configs.enumerated() {
            if index > 0 { tsquery = tsquery + " || " }
            tsquery = tsquery + "to_tsquery(\(bind: config)::regconfig, \(bind: text))"
        }
        return try await sql.raw("""
            SELECT s.entry_id AS entry_id, t.api_id AS type_id, s.locale AS locale, s.state AS state, s.title AS title,
                   ts_headline(s.config::regconfig, s.body, q.query,
                               'StartSel=' || \(bind: SearchText.markStart) || ', StopSel=' || \(bind: SearchText.markEnd) || ', MaxWords=24, MinWords=8, MaxFragments=1') AS snippet,
                   ts_rank_cd(s.document, q.query)::float8 AS score
            FROM content_search s JOIN content_types t ON t.id = s.type_id, (SELECT \(tsquery) AS query) q
            WHERE s.document @@ q.query\(filters(query))
            ORDER BY score DESC, s.entry_id LIMIT \(bind: query.limit)
            """).all()
    }
}
