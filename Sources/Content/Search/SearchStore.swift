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

extension SearchHit {
    /// A hit from a row with `entry_id`, `type_id`, `locale`, `state`, `title` and `snippet`.
    init(_ row: any SQLRow, score: Double) throws {
        self.init(
            entryID: try row.decode(column: "entry_id", as: String.self), typeID: try row.decode(column: "type_id", as: String.self),
            locale: try row.decode(column: "locale", as: String.self), state: try row.decode(column: "state", as: String.self),
            title: try row.decode(column: "title", as: String.self), snippet: try row.decode(column: "snippet", as: String?.self) ?? "",
            score: score
        )
    }
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

    /// The best hits of `query`, reading through `reads`. On SQLite the ranking, which scores
    /// every match, runs on two reader connections at once, each over half of each table's
    /// rows (BM25's statistics are the whole table's, so the halves' scores compare): a query
    /// for a common word took about 1.4x less time on two cores (the halves slow each other;
    /// not 2x). Each half's best `limit` holds every row of the whole's best `limit` from that half.
    func search(_ query: SearchQuery, reads: DatabaseReads) async throws -> [SearchHit] {
        let tables = query.locale.map { [SearchText.sqliteTable($0)] } ?? ["content_search_stemmed", "content_search_plain"]
        let started = try await reads { sql -> SearchStart in
            if Self.isPostgres(sql) { return .answered(try await postgresHits(query, on: sql)) }
            return .sqlite(try await rowSpans(tables, on: sql))
        }
        let spans: [String: ClosedRange<Int64>]
        switch started {
        case .answered(let hits): return hits
        case .sqlite(let found): spans = found
        }
        let match = Self.sqliteMatch(query)
        var lower: [RankedTable] = []
        var upper: [RankedTable] = []
        for (index, table) in tables.enumerated() {
            guard let span = spans[table] else { continue }
            let middle = span.lowerBound + (span.upperBound - span.lowerBound) / 2
            lower.append(RankedTable(source: index, name: table, rows: span.lowerBound...middle))
            if middle < span.upperBound { upper.append(RankedTable(source: index, name: table, rows: (middle + 1)...span.upperBound)) }
        }
        guard !lower.isEmpty else { return [] }
        async let lowerBest = reads { [lower] sql in try await bestRows(match: match, tables: lower, query: query, on: sql) }
        let upperBest = upper.isEmpty ? [] : try await reads { [upper] sql in try await bestRows(match: match, tables: upper, query: query, on: sql) }
        let best = Array((try await lowerBest + upperBest).sorted(by: Self.ranksFirst).prefix(query.limit))
        guard !best.isEmpty else { return [] }
        return try await reads { sql in try await sqliteHits(best, match: match, tables: tables, query: query, on: sql) }
    }

    private enum SearchStart: Sendable {
        case answered([SearchHit])
        case sqlite([String: ClosedRange<Int64>])
    }

    /// One FTS5 table, or the part of its rows between two rowids, to rank.
    struct RankedTable: Sendable {
        var source: Int
        var name: String
        var rows: ClosedRange<Int64>
    }

    /// A ranked row: which table (its index in the query's tables), which row, its entry, its score.
    struct RankedRow: Sendable {
        var source: Int
        var rowID: Int64
        var entryID: String
        var score: Double
    }

    /// Best score first; equal scores by entry id, so the order is the same however the rows
    /// were split.
    static func ranksFirst(_ a: RankedRow, _ b: RankedRow) -> Bool {
        a.score != b.score ? a.score > b.score : a.entryID < b.entryID
    }

    /// Each non-empty table's first and last rowid (FTS5 answers both from its rowid order).
    private func rowSpans(_ tables: [String], on sql: any SQLDatabase) async throws -> [String: ClosedRange<Int64>] {
        var spans: [String: ClosedRange<Int64>] = [:]
        for table in tables {
            let row = try await sql.raw("""
                SELECT (SELECT rowid FROM \(unsafeRaw: table) ORDER BY rowid LIMIT 1) AS low,
                       (SELECT rowid FROM \(unsafeRaw: table) ORDER BY rowid DESC LIMIT 1) AS high
                """).first()
            if let low = try row?.decode(column: "low", as: Int64?.self), let high = try row?.decode(column: "high", as: Int64?.self), low <= high {
                spans[table] = low...high
            }
        }
        return spans
    }

    /// FTS5: each word quoted (all must match), or the phrase the word break found.
    static func sqliteMatch(_ query: SearchQuery) -> String {
        var match = query.words.map { "\"\($0)\"" }.joined(separator: " ")
        if let phrase = query.phrase { match = "(\(match)) OR \"\(phrase.joined(separator: " "))\"" }
        return match
    }

    private func postgresHits(_ query: SearchQuery, on sql: any SQLDatabase) async throws -> [SearchHit] {
        try await postgres(query, on: sql).map { row in try SearchHit(row, score: try row.decode(column: "score", as: Double.self)) }
    }

    private func filters(_ query: SearchQuery) -> SQLQueryString {
        var filter: SQLQueryString = " AND s.state IN (\(SQLList(query.states.map { SQLBind($0) })))"
        if let type = query.typeID { filter = filter + " AND s.type_id = \(bind: type)" }
        if let locale = query.locale { filter = filter + " AND s.locale = \(bind: locale)" }
        if query.publicOnly { filter = filter + " AND t.public = 1" }
        return filter
    }

    /// Titles and snippets for the best rows alone: a snippet tokenises the row's whole text, so
    /// making one for every match before the sort (as one statement would) cost most of a
    /// search with many matches. The filters are checked again: this is another read than the
    /// ranking's, and a row may have changed between them.
    private func sqliteHits(_ best: [RankedRow], match: String, tables: [String], query: SearchQuery, on sql: any SQLDatabase) async throws -> [SearchHit] {
        var hits: [Int: [Int64: SearchHit]] = [:]
        for (index, table) in tables.enumerated() {
            let rowIDs = best.filter { $0.source == index }.map(\.rowID)
            guard !rowIDs.isEmpty else { continue }
            let rows = try await sql.raw("""
                SELECT s.rowid AS row_id, s.entry_id AS entry_id, t.api_id AS type_id, s.locale AS locale, s.state AS state, s.title AS title,
                       snippet(\(unsafeRaw: table), 5, \(bind: SearchText.markStart), \(bind: SearchText.markEnd), '…', 16) AS snippet
                FROM \(unsafeRaw: table) s JOIN content_types t ON t.id = s.type_id
                WHERE \(unsafeRaw: table) MATCH \(bind: match) AND s.rowid IN (\(SQLList(rowIDs.map { SQLBind($0) })))
                """ + filters(query)).all()
            for row in rows {
                hits[index, default: [:]][try row.decode(column: "row_id", as: Int64.self)] = try SearchHit(row, score: 0)
            }
        }
        // In the ranking's order, with its scores.
        return best.compactMap { top in
            guard var hit = hits[top.source]?[top.rowID] else { return nil }
            hit.score = top.score
            return hit
        }
    }

    /// The best `limit` rows that pass the query's filters, by score. The filters (state, type,
    /// locale, public types) read each row's unindexed columns, which for a common word means
    /// most of the table; they rarely exclude much, so the rows are ranked without them first and
    /// only the best candidates are checked, with more candidates while too few pass. Past a
    /// bound, one statement filters every match.
    private func bestRows(match: String, tables: [RankedTable], query: SearchQuery, on sql: any SQLDatabase) async throws -> [RankedRow] {
        var candidates = query.limit * 4
        while candidates <= query.limit * 64 {
            var passing: [RankedRow] = []
            var exhausted = true
            for ranking in tables {
                let table = ranking.name
                let ranked = try await sql.raw("""
                    SELECT s.rowid AS row_id, \(Self.score(table)) AS score
                    FROM \(unsafeRaw: table) s WHERE \(unsafeRaw: table) MATCH \(bind: match)
                      AND s.rowid BETWEEN \(bind: ranking.rows.lowerBound) AND \(bind: ranking.rows.upperBound)
                    ORDER BY score DESC LIMIT \(bind: candidates)
                    """).all().map { row in (try row.decode(column: "row_id", as: Int64.self), try row.decode(column: "score", as: Double.self)) }
                if ranked.count == candidates { exhausted = false }
                guard !ranked.isEmpty else { continue }
                let scores = Dictionary(ranked, uniquingKeysWith: { first, _ in first })
                let kept = try await sql.raw("""
                    SELECT s.rowid AS row_id, s.entry_id AS entry_id
                    FROM \(unsafeRaw: table) s JOIN content_types t ON t.id = s.type_id
                    WHERE s.rowid IN (\(SQLList(ranked.map { SQLBind($0.0) })))
                    """ + filters(query)).all()
                for row in kept {
                    let rowID = try row.decode(column: "row_id", as: Int64.self)
                    passing.append(RankedRow(source: ranking.source, rowID: rowID, entryID: try row.decode(column: "entry_id", as: String.self), score: scores[rowID] ?? 0))
                }
            }
            if passing.count >= query.limit || exhausted {
                return Array(passing.sorted(by: Self.ranksFirst).prefix(query.limit))
            }
            candidates *= 8
        }
        var union: SQLQueryString = ""
        for (index, ranking) in tables.enumerated() {
            let table = ranking.name
            if index > 0 { union = union + " UNION ALL " }
            union = union + """
                SELECT \(unsafeRaw: String(ranking.source)) AS source, s.rowid AS row_id, s.entry_id AS entry_id, \(Self.score(table)) AS score
                FROM \(unsafeRaw: table) s JOIN content_types t ON t.id = s.type_id
                WHERE \(unsafeRaw: table) MATCH \(bind: match) AND s.rowid BETWEEN \(bind: ranking.rows.lowerBound) AND \(bind: ranking.rows.upperBound)
                """ + filters(query)
        }
        return try await sql.raw("SELECT * FROM (\(union)) hits ORDER BY score DESC, entry_id LIMIT \(bind: query.limit)").all().map { row in
            RankedRow(
                source: try row.decode(column: "source", as: Int.self), rowID: try row.decode(column: "row_id", as: Int64.self),
                entryID: try row.decode(column: "entry_id", as: String.self), score: try row.decode(column: "score", as: Double.self)
            )
        }
    }

    /// A row's score in `table`: BM25 with the title weighing five times the body (the
    /// unindexed columns weigh nothing), negated so higher is better.
    private static func score(_ table: String) -> SQLQueryString {
        "-bm25(\(unsafeRaw: table), 0, 0, 0, 0, 5.0, 1.0)"
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
