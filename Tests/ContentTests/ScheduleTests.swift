import ApusCore
import ApusTesting
@testable import Content
import Foundation
import HTTPTypes
import HummingbirdTesting
import SQLKit
import Testing

@Suite struct ScheduleTests {
    @Test(arguments: DatabaseEngine.allCases)
    func aScheduledEntryIsPublishedOnceAcrossTwoNodes(engine: DatabaseEngine) async throws {
        try await TestServer.withTwoServers(engine: engine, modules: [ContentModule()], configure: {
            $0.defaultRateLimit = RateLimitPolicy(name: "default", limit: 1_000_000, window: 60)
        }) { first, second in
            let editor = try await first.1.signedIn("editor@example.com", roles: [.editor], server: first.0).accessToken
            #expect(try await first.1.json("/v1/content/types", .post, token: try await first.1.signedIn("admin@example.com", roles: [.admin], server: first.0).accessToken, body: CMS.blog).status == .created)
            let now = first.0.platform.now()
            let entry = try await first.1.json("/v1/content/posts/entries", .post, token: editor, body: #"{"title":"Soon"}"#).json()
            let id = entry.string("id")
            // Scheduled far ahead, then moved to a second from now: the first job finds nothing to do.
            let far = Timestamp.format(now.addingTimeInterval(3600))
            let scheduled = try await second.1.json("/v1/content/posts/entries/\(id)", .patch, token: editor, body: #"{"publish_at":"\#(far)"}"#, headers: [.ifMatch: "\"1\""]).json()
            #expect(scheduled.string("status") == "scheduled")
            let soon = Timestamp.format(now.addingTimeInterval(1))
            #expect(try await second.1.json("/v1/content/posts/entries/\(id)", .patch, token: editor, body: #"{"publish_at":"\#(soon)"}"#, headers: [.ifMatch: "\"2\""]).status == .ok)
            #expect(try await eventually(20) { try await first.1.json("/v1/content/posts/published/by-slug/soon", .get).status == .ok })
            let read = try await second.1.json("/v1/content/posts/entries/\(id)", .get, token: editor).json()
            #expect(read.string("status") == "published")
            #expect(read["publish_at"] == .null)
            let published = try await first.0.platform.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM apus_events WHERE aggregate = \(bind: id) AND type = 'content.entry.published'").first()?.decode(column: "n", as: Int.self)
            }
            #expect(published == 1)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aCancelledScheduleNeverPublishes(engine: DatabaseEngine) async throws {
        let clock = TestClock()
        try await CMS.with(engine: engine, clock: clock) { cms in
            try await cms.type()
            let entry = try await cms.entry(#"{"title":"Maybe"}"#, token: cms.editor)
            let at = Timestamp.format(clock.now().addingTimeInterval(60))
            let scheduled = try await cms.save(entry, #"{"publish_at":"\#(at)"}"#, token: cms.editor).json()
            #expect(scheduled.string("status") == "scheduled")
            let cancelled = try await cms.save(scheduled, #"{"publish_at":null}"#, token: cms.editor).json()
            #expect(cancelled.string("status") == "draft")
            clock.advance(by: 61)
            // The job ran (or will) and found the entry no longer due.
            let service = ContentService(platform: cms.server.platform, settings: try ContentSettings(Settings([:])))
            try await service.runScheduled(.publish, entry: entry.string("id"), at: Timestamp.parse(at)!)
            #expect(try await cms.get("/v1/content/posts/entries/\(entry.string("id"))", token: cms.editor).json().string("status") == "draft")
            #expect(try await cms.get("/v1/content/posts/published/by-slug/maybe").status == .notFound)
        }
    }
}
