import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import SQLKit
import Testing

@Suite struct WorkflowTests {
    @Test(arguments: DatabaseEngine.allCases)
    func anEntryGoesFromDraftThroughReviewToReadersAndANewerDraftLeavesThemAlone(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            let entry = try await cms.entry(#"{"title":"Launch","body":"First *words*"}"#)
            let id = entry.string("id")
            #expect(try await cms.get("/v1/content/posts/published/by-slug/launch").status == .notFound)
            // Authors submit; editors publish.
            #expect(try await cms.move(entry, "publish", token: cms.author).status == .forbidden)
            let submitted = try await cms.move(entry, "submit", token: cms.author)
            #expect(try submitted.json().string("status") == "in_review")
            #expect(try await cms.move(entry, "submit", token: cms.author).status == .conflict)
            let published = try await cms.move(entry, "publish")
            #expect(try published.json().string("status") == "published")
            let read = try await cms.get("/v1/content/posts/published/by-slug/launch")
            #expect(read.status == .ok)
            #expect(try read.json().string("body") == "<p>First <em>words</em></p>")
            // A newer draft beside the published entry changes nothing for readers.
            let current = try await cms.get("/v1/content/posts/entries/\(id)", token: cms.editor).json()
            let edited = try await cms.save(current, #"{"body":"Second draft"}"#, token: cms.editor).json()
            #expect(edited.string("status") == "published")
            #expect(edited["has_unpublished_changes"] == true)
            #expect(try await cms.get("/v1/content/posts/published/by-slug/launch").json().string("body") == "<p>First <em>words</em></p>")
            _ = try await cms.move(entry, "publish")
            #expect(try await cms.get("/v1/content/posts/published/by-slug/launch").json().string("body") == "<p>Second draft</p>")
            // Unpublished and archived entries are gone for readers.
            #expect(try await cms.move(entry, "unpublish").json().string("status") == "draft")
            #expect(try await cms.get("/v1/content/posts/published/by-slug/launch").status == .notFound)
            #expect(try await cms.move(entry, "unpublish").status == .conflict)
            #expect(try await cms.move(entry, "archive").json().string("status") == "archived")
            #expect(try await cms.get("/v1/content/posts/published").json().items.isEmpty)
            let types = try await cms.server.platform.read { sql in
                try await sql.raw("SELECT type FROM apus_events WHERE aggregate = \(bind: id) ORDER BY id").all().map { try $0.decode(column: "type", as: String.self) }
            }
            #expect(types == [
                "content.entry.created", "content.entry.updated", "content.entry.published", "content.entry.updated",
                "content.entry.published", "content.entry.unpublished", "content.entry.archived",
            ])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func anOldSlugRedirectsToTheCurrentOne(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            let entry = try await cms.entry(#"{"title":"Old name"}"#)
            _ = try await cms.move(entry, "publish")
            let current = try await cms.get("/v1/content/posts/entries/\(entry.string("id"))", token: cms.editor).json()
            #expect(try await cms.save(current, #"{"slug":"new-name"}"#, token: cms.editor).status == .ok)
            // Until the new slug is published, readers keep the old one and the new one is unknown.
            #expect(try await cms.get("/v1/content/posts/published/by-slug/old-name").status == .ok)
            #expect(try await cms.get("/v1/content/posts/published/by-slug/new-name").status == .notFound)
            _ = try await cms.move(entry, "publish")
            let moved = try await cms.get("/v1/content/posts/published/by-slug/old-name")
            #expect(moved.status == .movedPermanently)
            #expect(moved.headers[.location] == "/v1/content/posts/published/by-slug/new-name")
            #expect(try await cms.get("/v1/content/posts/published/by-slug/new-name").status == .ok)
            // In French the entry has its own slug, made from its French title.
            let english = try await cms.get("/v1/content/posts/entries/\(entry.string("id"))", token: cms.editor).json()
            _ = try await cms.save(english, #"{"title":"Ancien nom"}"#, locale: "fr", token: cms.editor)
            _ = try await cms.move(entry, "publish")
            #expect(try await cms.get("/v1/content/posts/published/by-slug/ancien-nom?locale=fr").json().string("title") == "Ancien nom")
            #expect(try await cms.get("/v1/content/posts/published/by-slug/ancien-nom").status == .notFound)
        }
    }
}
