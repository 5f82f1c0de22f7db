import ApusCore
import ApusTesting
import Foundation
import SQLKit
import Testing

@testable import Notifications

/// Webhook fan-out finds an event's subscribers through the pattern index.
@Suite struct SubscriptionIndexTests {
    static func insertEndpoint(_ id: String, _ types: String, on database: any Database) async throws {
        try await database.write { connection in
            try await connection.raw("""
                INSERT INTO notifications_endpoints (id, owner_id, url, event_types, secret, created_at, updated_at)
                VALUES (\(bind: id), 'usr_1', 'https://hooks.example/', \(bind: types), 'whsec_x', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')
                """).run()
        }
    }

    @Test func theCandidatePatternsOfAType() {
        #expect(WebhookEndpointStore.patterns(matching: "links.link.created") == ["*", "links.link.created", "links.*", "links.link.*"])
        #expect(WebhookEndpointStore.patterns(matching: "ping") == ["*", "ping"])
    }

    /// Endpoints that existed before the index are indexed by its migration; later ones as they
    /// are created; an event reaches exactly the endpoints whose patterns match it.
    @Test(arguments: DatabaseEngine.allCases)
    func anEventFindsExactlyItsSubscribers(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let all = ApusServer.platformMigrations + NotificationsModule().migrations
            // Everything up to the index: the migrations after it depend on it.
            let before = all.filter { !["0003_subscription_index", "0004_template_owners"].contains($0.id.name) }
            try await Migrator(database: database, migrations: before, logger: TestDatabase.logger).migrate()
            try await Self.insertEndpoint("whe_old", "links.* identity.user.deleted", on: database)
            try await Migrator(database: database, migrations: all, logger: TestDatabase.logger).migrate()
            let store = WebhookEndpointStore(platform: Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger))
            let everything = try await store.create(owner: "usr_2", url: "https://all.example/", eventTypes: ["*"])
            let exact = try await store.create(owner: "usr_2", url: "https://one.example/", eventTypes: ["links.link.deleted"])
            let other = try await store.create(owner: "usr_2", url: "https://other.example/", eventTypes: ["notifications.*", "linksx.*"])
            @Sendable func subscribers(_ type: String) async throws -> Set<String> {
                try await database.read { connection in
                    Set(try await WebhookEndpointStore.subscribers(to: type, createdBefore: Date().addingTimeInterval(60), on: connection).map(\.endpoint.id))
                }
            }
            #expect(try await subscribers("links.link.created") == ["whe_old", everything.id])
            #expect(try await subscribers("links.link.deleted") == ["whe_old", everything.id, exact.id])
            #expect(try await subscribers("identity.user.deleted") == ["whe_old", everything.id])
            #expect(try await subscribers("notifications.sent") == [everything.id, other.id])
            // Changing the types re-indexes; deleting removes from the index.
            try await store.update(id: exact.id, url: nil, eventTypes: ["identity.*"], disabled: nil)
            #expect(try await subscribers("links.link.deleted") == ["whe_old", everything.id])
            try await store.delete(id: everything.id)
            #expect(try await subscribers("identity.user.disabled") == [exact.id])
            _ = other
        }
    }
}
