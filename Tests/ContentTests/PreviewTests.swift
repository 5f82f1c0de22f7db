import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Testing

/// Drafts shown through a signed preview token: the current draft, rendered as readers get it,
/// to whoever holds the token until it expires, and nothing else.
@Suite struct PreviewTests {
    @Test(arguments: DatabaseEngine.allCases)
    func aTokenShowsTheCurrentDraftUntilItExpires(engine: DatabaseEngine) async throws {
        let clock = TestClock()
        try await CMS.with(engine: engine, clock: clock) { cms in
            try await cms.type()
            var entry = try await cms.entry(#"{"title":"Draft title","body":"Hello *there*","category":"news"}"#)
            let asked = clock.now()
            let made = try await cms.client.json("/v1/content/posts/entries/\(entry.string("id"))/preview-token", .post, token: cms.author)
            let answered = clock.now()
            #expect(made.status == .created)
            let token = try made.json()
            let url = token.string("url")
            #expect(made.headers[.location] == url)
            #expect(url == "/v1/content/posts/preview/\(token.string("token"))")
            // An hour from when it was made, in whole seconds (the clock is real time, so it may tick meanwhile).
            let expiresAt = try #require(Timestamp.parse(token.string("expires_at")))
            #expect(expiresAt.timeIntervalSince1970 == expiresAt.timeIntervalSince1970.rounded(.down))
            #expect((asked.timeIntervalSince1970 + 3_600).rounded(.down) <= expiresAt.timeIntervalSince1970)
            #expect(expiresAt.timeIntervalSince1970 <= answered.timeIntervalSince1970 + 3_600)

            // No account needed; rich text comes as safe HTML, never its Markdown; nothing may keep it.
            let shown = try await cms.get(url)
            #expect(shown.status == .ok)
            let draft = try shown.json()
            #expect(draft.string("title") == "Draft title")
            #expect(draft.string("body").contains("<em>there</em>"))
            #expect(shown.headers[.cacheControl] == "private, no-store")
            #expect(shown.headers[HTTPField.Name("X-Robots-Tag")!] == "noindex")
            // Not published: readers see nothing of it.
            #expect(try await cms.get("/v1/content/posts/published/by-slug/draft-title").status == .notFound)

            // A later save shows at once, in the locale asked for, falling back to the default.
            entry = try await cms.save(entry, #"{"title":"Second title"}"#).json()
            _ = try await cms.save(entry, #"{"title":"Titre"}"#, locale: "fr")
            #expect(try await cms.get(url).json().string("title") == "Second title")
            let french = try await cms.get(url + "?locale=fr").json()
            #expect(french.string("title") == "Titre" && french.string("category") == "news")

            // Past its time it is refused, and says so.
            clock.advance(by: 3_600)
            let expired = try await cms.get(url)
            #expect(expired.status == .unauthorized)
            #expect(expired.text.contains("expired"))
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func alteredForeignAndOrphanedTokensAreRefused(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            try await cms.type(#"{"name":"Page","api_id":"pages","fields":[{"name":"title","kind":"text"}]}"#)
            let entry = try await cms.entry(#"{"title":"Secret plans"}"#)
            let path = "/v1/content/posts/entries/\(entry.string("id"))/preview-token"
            let token = try await cms.client.json(path, .post, token: cms.editor, body: #"{"expires_in":120}"#).json().string("token")

            // Another payload under the same signature, a made-up token, another type's path.
            let parts = token.split(separator: ".")
            let other = try await cms.client.json(
                "/v1/content/posts/entries/\(try await cms.entry(#"{"title":"Other"}"#).string("id"))/preview-token", .post, token: cms.editor
            ).json().string("token")
            let spliced = "\(other.split(separator: ".")[0]).\(parts[1])"
            #expect(try await cms.get("/v1/content/posts/preview/\(spliced)").status == .unauthorized)
            #expect(try await cms.get("/v1/content/posts/preview/not-a-token").status == .unauthorized)
            #expect(try await cms.get("/v1/content/pages/preview/\(token)").status == .notFound)
            #expect(try await cms.get("/v1/content/nope/preview/\(token)").status == .notFound)

            // Lifetimes outside a minute to a week are refused.
            for body in [#"{"expires_in":59}"#, #"{"expires_in":604801}"#, #"{"expires_in":"soon"}"#] {
                #expect(try await cms.client.json(path, .post, token: cms.editor, body: body).status == .unprocessableContent, "\(body)")
            }
            #expect(try await cms.client.json(path, .post, body: "{}").status == .unauthorized)
            // A null lifetime is the default one, as the OpenAPI document says.
            let defaulted = try await cms.client.json(path, .post, token: cms.editor, body: #"{"expires_in":null}"#)
            #expect(defaulted.status == .created)
            let expiry = try #require(Timestamp.parse(try defaulted.json().string("expires_at")))
            #expect(expiry.timeIntervalSinceNow > 3_500 && expiry.timeIntervalSinceNow <= 3_600)

            // A deleted entry's token shows nothing.
            #expect(try await cms.client.json("/v1/content/posts/entries/\(entry.string("id"))", .delete, token: cms.editor).status == .noContent)
            #expect(try await cms.get("/v1/content/posts/preview/\(token)").status == .notFound)
        }
    }
}
