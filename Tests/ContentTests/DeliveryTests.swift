import ApusCore
import ApusTesting
import Content
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct DeliveryTests {
    @Test(arguments: DatabaseEngine.allCases)
    func publishedEntriesAreTaggedCacheableAndAnswer304(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine, settings: ["APUS_CONTENT_CACHE_MAX_AGE": "120"]) { cms in
            try await cms.type()
            for title in ["First", "Second", "Third"] {
                _ = try await cms.move(try await cms.entry(#"{"title":"\#(title)","category":"news"}"#), "publish")
            }
            let draft = try await cms.entry(#"{"title":"Not yet"}"#)
            let page = try await cms.get("/v1/content/posts/published?limit=2")
            #expect(page.status == .ok)
            #expect(page.headers[.cacheControl] == "public, max-age=120, stale-while-revalidate=120")
            let first = try page.json()
            #expect(first.items.map { $0.string("title") } == ["First", "Second"])
            #expect(first.items[0]["status"] == nil)
            #expect(first.items[0]["author_id"] == nil)
            let next = first.string("next_cursor")
            #expect(try await cms.get("/v1/content/posts/published?limit=2&cursor=\(next)").json().items.map { $0.string("title") } == ["Third"])
            #expect(try await cms.get("/v1/content/posts/published/by-slug/\(draft.string("slug"))").status == .notFound)

            let one = try await cms.get("/v1/content/posts/published/by-slug/first")
            let tag = try #require(one.headers[.eTag])
            // Each header once, as a cache hit copies them whole.
            for name in [HTTPField.Name.cacheControl, .vary, .eTag, .contentType, .contentLength] {
                #expect(one.headers[values: name].count == 1, "one \(name)")
            }
            #expect(one.headers[.cacheControl] == "public, max-age=120, stale-while-revalidate=120")
            #expect(one.headers[.contentType] == "application/json")
            #expect(one.headers[.contentLength] == String(one.body.readableBytes))
            let again = try await cms.get("/v1/content/posts/published/by-slug/first", headers: [.ifNoneMatch: tag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            #expect(again.headers[.eTag] == tag && again.headers[.cacheControl] == one.headers[.cacheControl])
            #expect(again.headers[.contentType] == nil)
            let pageTag = try #require(page.headers[.eTag])
            #expect(try await cms.get("/v1/content/posts/published?limit=2", headers: [.ifNoneMatch: pageTag]).status == .notModified)
            // Republished with a change: a new tag, and the old one no longer matches.
            let entry = try await cms.get("/v1/content/posts/entries?limit=1", token: cms.editor).json().items[0]
            let saved = try await cms.save(entry, #"{"category":"guides"}"#, token: cms.editor).json()
            _ = try await cms.move(saved, "publish")
            let changed = try await cms.get("/v1/content/posts/published/by-slug/first", headers: [.ifNoneMatch: tag])
            #expect(changed.status == .ok)
            #expect(try changed.json().string("category") == "guides")
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func referencesExpandOneLevelOnRequest(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type(#"{"name":"Author","api_id":"authors","public":true,"fields":[{"name":"name","kind":"text"},{"name":"mentor","kind":"reference"}]}"#)
            try await cms.type(#"""
                {"name":"Book","api_id":"books","public":true,"fields":[{"name":"title","kind":"text"},{"name":"slug","kind":"slug","from":"title"},
                 {"name":"author","kind":"reference","to":"authors"},{"name":"editor","kind":"reference"},{"name":"foreword","kind":"reference"}]}
                """#)
            let mentor = try await cms.entry(#"{"name":"Mentor"}"#, type: "authors")
            let ada = try await cms.entry(#"{"name":"Ada","mentor":"\#(mentor.string("id"))"}"#, type: "authors")
            let unpublished = try await cms.entry(#"{"name":"Not yet"}"#, type: "authors")
            for entry in [mentor, ada] { #expect(try await cms.move(entry, "publish", type: "authors").status == .ok) }
            let book = try await cms.entry(#"{"title":"Notes","author":"\#(ada.string("id"))","editor":"\#(ada.string("id"))","foreword":"\#(unpublished.string("id"))"}"#, type: "books")
            #expect(try await cms.move(book, "publish", type: "books").status == .ok)
            let plain = try await cms.get("/v1/content/books/published/by-slug/notes").json()
            #expect(plain.string("author") == ada.string("id"))
            let expanded = try await cms.get("/v1/content/books/published/by-slug/notes?expand=true").json()
            #expect(expanded["author"]?["name"] == "Ada")
            #expect(expanded["editor"]?["name"] == "Ada")
            // One level: Ada's own reference stays an id; an unpublished entry is null.
            #expect(expanded["author"]?["mentor"] == .string(mentor.string("id")))
            #expect(expanded["foreword"] == .null)
            let listed = try await cms.get("/v1/content/books/published?expand=true").json()
            #expect(listed.items.first?["author"]?["name"] == "Ada")
            // A referenced entry republished shows at once.
            let current = try await cms.get("/v1/content/authors/entries/\(ada.string("id"))", token: cms.editor).json()
            _ = try await cms.save(current, #"{"name":"Ada L."}"#, type: "authors", token: cms.editor)
            #expect(try await cms.move(ada, "publish", type: "authors").status == .ok)
            #expect(try await cms.get("/v1/content/books/published/by-slug/notes?expand=true").json()["author"]?["name"] == "Ada L.")
        }
    }

    /// A public entry's reference to an entry of a private type expands only for a caller who
    /// may read that type: a stranger gets `null`, as the delivery API answers them 404 for it.
    @Test(arguments: DatabaseEngine.allCases)
    func aReferenceToAPrivateTypeExpandsOnlyForStaff(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type(#"{"name":"Memo","api_id":"memos","fields":[{"name":"title","kind":"text"}]}"#)
            try await cms.type(#"""
                {"name":"Page","api_id":"pages","public":true,"fields":[{"name":"title","kind":"text"},{"name":"slug","kind":"slug","from":"title"},
                 {"name":"memo","kind":"reference","to":"memos"},{"name":"note","kind":"reference"}]}
                """#)
            let memo = try await cms.entry(#"{"title":"Salaries"}"#, type: "memos")
            #expect(try await cms.move(memo, "publish", type: "memos").status == .ok)
            let page = try await cms.entry(#"{"title":"About","memo":"\#(memo.string("id"))","note":"\#(memo.string("id"))"}"#, type: "pages")
            #expect(try await cms.move(page, "publish", type: "pages").status == .ok)
            for path in ["/v1/content/pages/published/by-slug/about?expand=true", "/v1/content/pages/published?expand=true"] {
                let answer = try await cms.get(path)
                #expect(answer.status == .ok)
                let shown = path.contains("by-slug") ? try answer.json() : try answer.json().items[0]
                #expect(shown["memo"] == .null && shown["note"] == .null, "a stranger sees no memo through \(path)")
                #expect(!String(buffer: answer.body).contains("Salaries"))
                let staff = try await cms.get(path, token: cms.viewer)
                let seen = path.contains("by-slug") ? try staff.json() : try staff.json().items[0]
                #expect(seen["memo"]?["title"] == "Salaries" && seen["note"]?["title"] == "Salaries")
            }
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func privateTypesAreReadOnlyByStaffAndStrangersLearnNothing(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type(#"{"name":"Memo","api_id":"memos","fields":[{"name":"title","kind":"text"},{"name":"slug","kind":"slug","from":"title"}]}"#)
            _ = try await cms.move(try await cms.entry(#"{"title":"Quarterly"}"#, type: "memos"), "publish", type: "memos")
            let stranger = try await cms.get("/v1/content/memos/published/by-slug/quarterly")
            let unknown = try await cms.get("/v1/content/nothing/published/by-slug/quarterly")
            #expect(stranger.status == .notFound)
            #expect(unknown.status == .notFound)
            #expect(try stranger.json()["detail"] == "No content type memos.")
            let staff = try await cms.get("/v1/content/memos/published/by-slug/quarterly", token: cms.viewer)
            #expect(staff.status == .ok)
            #expect(staff.headers[.cacheControl] == "private, no-cache")
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aSecondNodeStopsServingWhatWasUnpublishedOnTheFirst(engine: DatabaseEngine) async throws {
        try await TestServer.withTwoServers(engine: engine, modules: [ContentModule()], configure: {
            $0.defaultRateLimit = RateLimitPolicy(name: "default", limit: 1_000_000, window: 60)
        }) { first, second in
            let admin = try await first.1.signedIn("admin@example.com", roles: [.admin], server: first.0).accessToken
            #expect(try await first.1.json("/v1/content/types", .post, token: admin, body: CMS.blog).status == .created)
            let entry = try await first.1.json("/v1/content/posts/entries", .post, token: admin, body: #"{"title":"Shared"}"#).json()
            #expect(try await first.1.json("/v1/content/posts/entries/\(entry.string("id"))/publish", .post, token: admin).status == .ok)
            // The second node reads it, and so has it cached.
            #expect(try await second.1.json("/v1/content/posts/published/by-slug/shared", .get).status == .ok)
            #expect(try await first.1.json("/v1/content/posts/entries/\(entry.string("id"))/unpublish", .post, token: admin).status == .ok)
            #expect(try await eventually { try await second.1.json("/v1/content/posts/published/by-slug/shared", .get).status == .notFound })
        }
    }
}
