import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct EntryTests {
    @Test(arguments: DatabaseEngine.allCases)
    func entriesCarryTheirFieldsBesideTheReservedNames(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            let entry = try await cms.entry(#"{"title":"Crème brûlée","category":"guides","meta":{"camelCase":{"deep":[1,"x"]}},"id":"ignored","change_note":"first"}"#)
            #expect(entry.string("status") == "draft")
            #expect(entry.string("locale") == "en")
            #expect(entry.string("slug") == "creme-brulee")
            #expect(entry.int("version") == 1)
            #expect(entry.string("id").hasPrefix("ent_"))
            // A JSON field keeps its keys exactly.
            #expect(entry["meta"] == ["camelCase": ["deep": [1, "x"]]])
            let read = try await cms.get("/v1/content/posts/entries/\(entry.string("id"))", token: cms.viewer)
            #expect(read.headers[.eTag] == "\"1\"")
            #expect(try read.json() == entry, "\(read.text) vs \(entry)")
            let list = try await cms.get("/v1/content/posts/entries?status=draft", token: cms.viewer).json()
            #expect(list.items.map { $0.string("id") } == [entry.string("id")])
            #expect(try await cms.get("/v1/content/posts/entries?status=published", token: cms.viewer).json().items.isEmpty)
            #expect(try await cms.get("/v1/content/posts/entries?status=nope", token: cms.viewer).status == .badRequest)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func badValuesAreRefusedNamingTheField(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            let cases: [(String, String)] = [
                (#"{"category":"news"}"#, "title"),
                (#"{"title":5}"#, "title"),
                (#"{"title":"x","category":"sports"}"#, "category"),
                (#"{"title":"x","slug":"Not A Slug"}"#, "slug"),
                (#"{"title":"x","nonsense":1}"#, "nonsense"),
                (#"{"title":"x","publish_at":"tomorrow"}"#, "publish_at"),
            ]
            for (body, field) in cases {
                let response = try await cms.client.json("/v1/content/posts/entries", .post, token: cms.editor, body: body)
                #expect(response.status == .unprocessableContent, "\(body)")
                #expect(try response.problemFields().contains(field), "\(body): \(response.text)")
            }
            #expect(try await cms.client.json("/v1/content/posts/entries", .post, token: cms.editor, body: "[1]").status == .unprocessableContent)
            #expect(try await cms.client.json("/v1/content/posts/entries?locale=de", .post, token: cms.editor, body: #"{"title":"x"}"#).status == .notFound)
            #expect(try await cms.client.json("/v1/content/posts/entries?locale=", .post, token: cms.editor, body: #"{"title":"x"}"#).status == .badRequest)
            #expect(try await cms.client.json("/v1/content/nothing/entries", .post, token: cms.editor, body: #"{"title":"x"}"#).status == .notFound)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aSaveNeedsTheCurrentVersion(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            let entry = try await cms.entry(#"{"title":"One"}"#)
            let path = "/v1/content/posts/entries/\(entry.string("id"))"
            #expect(try await cms.client.json(path, .patch, token: cms.author, body: #"{"title":"Two"}"#).status == .preconditionRequired)
            let saved = try await cms.save(entry, #"{"title":"Two"}"#)
            #expect(saved.status == .ok)
            #expect(saved.headers[.eTag] == "\"2\"")
            // The same If-Match again is stale now.
            let stale = try await cms.save(entry, #"{"title":"Three"}"#)
            #expect(stale.status == .preconditionFailed)
            #expect(try await cms.get(path, token: cms.viewer).json().string("title") == "Two")
            #expect(try await cms.client.json(path, .patch, token: cms.author, body: #"{"title":"Any"}"#, headers: [.ifMatch: "*"]).status == .ok)
            #expect(try await cms.client.json(path, .patch, token: cms.author, body: #"{"title":"Any"}"#, headers: [.ifMatch: "W/x"]).status == .badRequest)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func eachLocaleIsReadAndWrittenOnItsOwnAndFallsBackToTheDefault(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            let entry = try await cms.entry(#"{"title":"Hello","body":"In English","category":"news"}"#)
            let id = entry.string("id")
            // French has no values yet: it reads the English ones.
            let french = try await cms.get("/v1/content/posts/entries/\(id)?locale=fr", token: cms.viewer).json()
            #expect(french.string("title") == "Hello")
            #expect(french.string("locale") == "fr")
            // A French save writes French values; the category is not localised and is shared.
            let saved = try await cms.save(entry, #"{"title":"Bonjour","category":"guides"}"#, locale: "fr")
            #expect(saved.status == .ok, "\(saved.text)")
            let fr = try saved.json()
            #expect(fr.string("title") == "Bonjour")
            #expect(fr.string("slug") == "bonjour")
            #expect(fr.string("body") == "In English")
            let en = try await cms.get("/v1/content/posts/entries/\(id)", token: cms.viewer).json()
            #expect(en.string("title") == "Hello")
            #expect(en.string("slug") == "hello")
            #expect(en.string("category") == "guides")
            // One row per locale written: English untouched by the French save but for shared fields.
            let rows = try await cms.server.platform.read { sql in
                try await sql.raw("SELECT locale, draft FROM content_entry_locales WHERE entry_id = \(bind: id) ORDER BY locale").all()
            }
            #expect(try rows.map { try $0.decode(column: "locale", as: String.self) } == ["en", "fr"])
            let frenchRow = try rows[1].decode(column: "draft", as: String.self)
            #expect(!frenchRow.contains("category"))
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func uniqueFieldsAndSlugsAreClaimedOnceAndANumberSettlesACollision(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type(#"{"name":"Page","api_id":"pages","fields":[{"name":"title","kind":"text"},{"name":"slug","kind":"slug","from":"title"},{"name":"sku","kind":"text","unique":true}]}"#)
            let first = try await cms.entry(#"{"title":"Summer Sale","sku":"A1"}"#, type: "pages")
            let second = try await cms.entry(#"{"title":"Summer sale!"}"#, type: "pages")
            let third = try await cms.entry(#"{"title":"summer  SALE"}"#, type: "pages")
            #expect([first, second, third].map { $0.string("slug") } == ["summer-sale", "summer-sale-2", "summer-sale-3"])
            let taken = try await cms.client.json("/v1/content/pages/entries", .post, token: cms.author, body: #"{"title":"x","slug":"summer-sale"}"#)
            #expect(taken.status == .conflict)
            #expect(try await cms.client.json("/v1/content/pages/entries", .post, token: cms.author, body: #"{"title":"x","sku":"A1"}"#).status == .conflict)
            // The first gives its slug up; the third may take it.
            #expect(try await cms.save(first, #"{"slug":"sale"}"#, type: "pages").status == .ok)
            #expect(try await cms.save(third, #"{"slug":"summer-sale"}"#, type: "pages").status == .ok)
            // A cleared slug is made again from the title.
            let cleared = try await cms.save(second, #"{"slug":null,"title":"Winter"}"#, type: "pages")
            #expect(try cleared.json().string("slug") == "winter")
        }
    }
}
