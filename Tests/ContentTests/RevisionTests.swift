import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct RevisionTests {
    @Test(arguments: DatabaseEngine.allCases)
    func everySaveIsARevisionAndAutosavesUpdateTheLastOne(engine: DatabaseEngine) async throws {
        let clock = TestClock()
        try await CMS.with(engine: engine, clock: clock, settings: ["APUS_CONTENT_AUTOSAVE_WINDOW": "60"]) { cms in
            try await cms.type()
            var entry = try await cms.entry(#"{"title":"One","change_note":"first draft"}"#)
            entry = try await cms.save(entry, #"{"title":"Two"}"#, autosave: true).json()
            clock.advance(by: 10)
            entry = try await cms.save(entry, #"{"title":"Three"}"#, autosave: true).json()
            clock.advance(by: 10)
            entry = try await cms.save(entry, #"{"title":"Four"}"#, autosave: true).json()
            let path = "/v1/content/posts/entries/\(entry.string("id"))/revisions"
            var revisions = try await cms.get(path, token: cms.viewer).json().items
            // The three autosaves within a minute are one revision holding the last.
            #expect(revisions.map { $0.int("number") } == [2, 1])
            #expect(revisions[0]["values"]?["title"] == "Four")
            #expect(revisions[0]["autosave"] == true)
            #expect(revisions[1].string("change_note") == "first draft")
            // Past the window, an autosave starts a new revision; a plain save always does.
            clock.advance(by: 61)
            entry = try await cms.save(entry, #"{"title":"Five"}"#, autosave: true).json()
            entry = try await cms.save(entry, #"{"title":"Six"}"#).json()
            entry = try await cms.save(entry, #"{"title":"Seven"}"#).json()
            revisions = try await cms.get(path, token: cms.viewer).json().items
            #expect(revisions.map { $0.int("number") } == [5, 4, 3, 2, 1])
            // Paged, newest first.
            let page = try await cms.get("\(path)?limit=2", token: cms.viewer).json()
            #expect(page.items.map { $0.int("number") } == [5, 4])
            #expect(page.string("next_cursor") == "4")
            #expect(try await cms.get("\(path)?limit=2&cursor=4", token: cms.viewer).json().items.map { $0.int("number") } == [3, 2])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func twoRevisionsDifferFieldByFieldAndAnOldOneRestoresAsANewDraft(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            var entry = try await cms.entry(#"{"title":"Hello","category":"news","body":"Old"}"#)
            entry = try await cms.save(entry, #"{"title":"Hello again","body":null,"meta":{"k":1}}"#).json()
            let id = entry.string("id")
            let diff = try await cms.get("/v1/content/posts/entries/\(id)/revisions/diff?from=1&to=2", token: cms.viewer).json()
            #expect(diff["changes"] == [
                ["field": "title", "before": "Hello", "after": "Hello again"],
                ["field": "body", "before": "Old"],
                ["field": "meta", "after": ["k": 1]],
            ])
            #expect(try await cms.get("/v1/content/posts/entries/\(id)/revisions/diff?from=1&to=9", token: cms.viewer).status == .notFound)
            #expect(try await cms.get("/v1/content/posts/entries/\(id)/revisions/diff?from=x&to=2", token: cms.viewer).status == .badRequest)
            let restorePath = "/v1/content/posts/entries/\(id)/revisions/1/restore"
            #expect(try await cms.client.json(restorePath, .post, token: cms.author).status == .preconditionRequired)
            let restored = try await cms.client.json(restorePath, .post, token: cms.author, headers: [.ifMatch: "\"2\""])
            #expect(restored.status == .ok, "\(restored.text)")
            let now = try restored.json()
            #expect(now.string("title") == "Hello")
            #expect(now.string("body") == "Old")
            #expect(now["meta"] == .null)
            let revisions = try await cms.get("/v1/content/posts/entries/\(id)/revisions", token: cms.viewer).json().items
            #expect(revisions.map { $0.int("number") } == [3, 2, 1])
            #expect(revisions[0].string("change_note") == "Restored revision 1")
            #expect(try await cms.client.json("/v1/content/posts/entries/\(id)/revisions/7/restore", .post, token: cms.author, headers: [.ifMatch: "*"]).status == .notFound)
        }
    }
}
