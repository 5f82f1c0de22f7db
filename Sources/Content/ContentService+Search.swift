import ApusCore
import ApusKit
import Foundation

/// A search hit as the API shows it: the snippet is HTML, escaped, with matches in `<mark>`.
struct SearchHitView: Encodable, Sendable {
    var id: String
    var type: String
    var locale: String
    var state: String
    var title: String
    var snippet: String
    var score: Double
}

extension ContentService {
    /// Full-text search over published entries (public types only for strangers; drafts too for
    /// staff who ask). A single word the index does not know is also split into known words
    /// (`summersale` → `summer sale`) and searched as that phrase.
    func search(_ text: String, type apiID: String?, locale: String?, drafts: Bool, limit: Int, by principal: Principal?) async throws -> [SearchHitView] {
        guard text.count <= 200 else { throw Problem.badRequest("q must be at most 200 characters.") }
        let words = Array(SearchText.words(text).prefix(16))
        guard !words.isEmpty else { throw Problem.badRequest("q must hold at least one word of two letters or digits.") }
        let staff = principal?.has(ContentModule.read) == true
        if drafts, !staff { throw Problem.unauthorized("Searching drafts needs a token with content.read.") }
        var type: ContentType?
        if let apiID { type = try await readableType(apiID, by: principal) }
        if let locale, let type { _ = try type.locale(locale) }
        var phrase: [String]?
        if words.count == 1, words[0].count >= 4 {
            let candidates = WordBreak.candidates(words[0]).filter { $0.count >= 2 && $0 != words[0] }
            let known = try await platform.read { [searchStore] sql in try await searchStore.known((candidates + [words[0]]).sorted(), on: sql) }
            // Only a word the index does not know is split: `into` is not also `in to`, a phrase
            // of two of the commonest words that cost a search ten times its own word's time.
            if !known.contains(words[0]), let split = WordBreak.segment(words[0], isWord: { known.contains(String($0)) }), split.count > 1 {
                phrase = split
            }
        }
        let query = SearchQuery(
            words: words, phrase: phrase, typeID: type?.id, locale: locale, states: drafts ? ["published", "draft"] : ["published"],
            publicOnly: !staff, limit: limit
        )
        let hits = try await searchStore.search(query, reads: platform.read)
        return hits.map { hit in
            SearchHitView(
                id: hit.entryID, type: hit.typeID, locale: hit.locale, state: hit.state, title: hit.title,
                snippet: SearchText.highlighted(hit.snippet), score: hit.score
            )
        }
    }

    /// Indexes one view of an entry for search.
    func index(_ entryID: String, type: ContentType, locale: String, state: String, values: FieldValues, replacing: Bool = true, on transaction: Transaction) async throws {
        let document = SearchText.document(values, type: type)
        try await searchStore.index(
            entry: entryID, type: type.id, locale: locale, state: state, title: document.title, body: document.body, replacing: replacing, on: transaction.sql
        )
    }
}
