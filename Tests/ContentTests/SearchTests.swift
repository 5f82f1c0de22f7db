import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct SearchTests {
    struct Hits: Decodable { struct Hit: Decodable { let id: String; let title: String; let snippet: String; let state: String; let locale: String }; let items: [Hit] }

    func hits(_ cms: CMS, _ query: String, token: String? = nil) async throws -> Hits {
        let response = try await cms.get("/v1/content/search?\(query)", token: token)
        try #require(response.status == .ok, "\(response.text)")
        return try response.decoded(Hits.self)
    }

    @Test(arguments: DatabaseEngine.allCases)
    func publishedEntriesAreFoundRankedWithHighlightedSnippets(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            try await cms.type(#"{"name":"Memo","api_id":"memos","fields":[{"name":"title","kind":"text"},{"name":"body","kind":"rich_text"}]}"#)
            let sale = try await cms.entry(#"{"title":"Summer sale starts","body":"Everything <b>must</b> go: the summer collection, half price."}"#)
            let garden = try await cms.entry(#"{"title":"Gardening in winter","body":"Planting bulbs before the summer heat."}"#)
            let draft = try await cms.entry(#"{"title":"Summer plans","body":"Not public yet."}"#)
            let memo = try await cms.entry(#"{"title":"Summer budget","body":"Internal."}"#, type: "memos")
            for entry in [sale, garden] { #expect(try await cms.move(entry, "publish").status == .ok) }
            #expect(try await cms.move(memo, "publish", type: "memos").status == .ok)

            let summer = try await hits(cms, "q=summer")
            // Strangers: published entries of public types only; the title match ranks first.
            #expect(summer.items.map(\.id) == [sale.string("id"), garden.string("id")])
            #expect(summer.items[0].snippet.contains("<mark>summer</mark>"))
            // The text's own markup never comes through as tags (escaped on SQLite, dropped by PostgreSQL's headline).
            #expect(!summer.items[0].snippet.contains("<b>"))
            #expect(summer.items[0].snippet.contains("must"))
            // English stems: "collections" finds "collection".
            #expect(try await hits(cms, "q=collections").items.map(\.id) == [sale.string("id")])
            #expect(try await hits(cms, "q=summer%20price").items.map(\.id) == [sale.string("id")])
            // Staff see the private type, and drafts when they ask.
            let staff = try await hits(cms, "q=summer", token: cms.viewer)
            #expect(Set(staff.items.map(\.id)) == [sale.string("id"), garden.string("id"), memo.string("id")])
            let drafts = try await hits(cms, "q=summer&drafts=true", token: cms.viewer)
            #expect(drafts.items.contains { $0.id == draft.string("id") && $0.state == "draft" })
            #expect(try await cms.get("/v1/content/search?q=summer&drafts=true").status == .unauthorized)
            #expect(try await hits(cms, "q=summer&type=memos", token: cms.viewer).items.map(\.id) == [memo.string("id")])
            #expect(try await cms.get("/v1/content/search?q=summer&type=memos").status == .notFound)
            // Unpublished: gone from what strangers find.
            _ = try await cms.move(garden, "unpublish")
            #expect(try await hits(cms, "q=gardening").items.isEmpty)
            #expect(try await cms.get("/v1/content/search?q=%21%21").status == .badRequest)
            #expect(try await cms.get("/v1/content/search").status == .badRequest)
        }
    }

    /// Drafts that outrank every published entry do not hide it: however many of the best
    /// matches a caller may not see, the best ones they may see come back, in order.
    @Test(arguments: DatabaseEngine.allCases)
    func matchesTheCallerMayNotSeeDoNotHideTheOnesTheyMay(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            for n in 1...70 { _ = try await cms.entry(#"{"title":"Summer summer summer \#(n)","body":"Summer, summer and summer."}"#) }
            let weak = try await cms.entry(#"{"title":"Notes from the harbour","body":"A long piece that mentions summer once, among many other words about boats."}"#)
            let weaker = try await cms.entry(#"{"title":"Boats","body":"Boats, harbours, ropes, anchors, sails, gulls and one summer, at the end of a very long list."}"#)
            for entry in [weak, weaker] { #expect(try await cms.move(entry, "publish").status == .ok) }
            for limit in [1, 2, 20] {
                let found = try await hits(cms, "q=summer&limit=\(limit)").items.map(\.id)
                #expect(found == Array([weak.string("id"), weaker.string("id")].prefix(limit)), "limit \(limit)")
            }
            // Staff asking for drafts get the drafts first.
            let drafts = try await hits(cms, "q=summer&drafts=true&limit=5", token: cms.viewer).items
            #expect(drafts.count == 5 && drafts.allSatisfy { $0.state == "draft" && $0.title.hasPrefix("Summer summer") })
        }
    }

    /// Entries stored in no order of relevance (SQLite ranks each half of the index on its own
    /// connection): the best come first, wherever they were stored, and a limit keeps the best.
    @Test(arguments: DatabaseEngine.allCases)
    func theBestHitsComeFirstWhereverTheyAreStored(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            var byCount: [Int: String] = [:]
            for count in [1, 9, 2, 8, 3, 7, 4, 6, 5] {
                let title = Array(repeating: "harbour", count: count).joined(separator: " ")
                let entry = try await cms.entry(#"{"title":"\#(title)"}"#)
                #expect(try await cms.move(entry, "publish").status == .ok)
                byCount[count] = entry.string("id")
            }
            #expect(try await hits(cms, "q=harbour&limit=3").items.map(\.id) == [9, 8, 7].map { byCount[$0] })
            #expect(try await hits(cms, "q=harbour&limit=20").items.map(\.id) == (1...9).reversed().map { byCount[$0] })
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aQueryTypedWithoutSpacesIsSplitIntoIndexedWords(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            let sale = try await cms.entry(#"{"title":"The summer sale is here"}"#)
            let other = try await cms.entry(#"{"title":"A sale for summer"}"#)
            for entry in [sale, other] { #expect(try await cms.move(entry, "publish").status == .ok) }
            // As a phrase: the words in that order.
            #expect(try await hits(cms, "q=summersale").items.map(\.id) == [sale.string("id")])
            #expect(try await hits(cms, "q=summerxyzsale").items.isEmpty)
            // A word the index knows is searched as itself, not also as the words it splits into.
            let seaside = try await cms.entry(#"{"title":"A seaside town"}"#)
            let seaSide = try await cms.entry(#"{"title":"The sea side of the island"}"#)
            for entry in [seaside, seaSide] { #expect(try await cms.move(entry, "publish").status == .ok) }
            #expect(try await hits(cms, "q=seaside").items.map(\.id) == [seaside.string("id")])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func eachLocaleIsSearchedInItsOwnLanguage(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            let entry = try await cms.entry(#"{"title":"Autumn recipes"}"#)
            _ = try await cms.save(entry, #"{"title":"Recettes d'automne"}"#, locale: "fr")
            #expect(try await cms.move(entry, "publish").status == .ok)
            let french = try await hits(cms, "q=automne&locale=fr")
            #expect(french.items.map(\.locale) == ["fr"])
            #expect(try await hits(cms, "q=automne&locale=en").items.isEmpty)
            #expect(try await hits(cms, "q=recipe&locale=en").items.map(\.id) == [entry.string("id")])
        }
    }
}
