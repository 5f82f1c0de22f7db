@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Links
import SQLKit
import Testing

/// What becomes of links when their owner's account changes: Identity's events reach the
/// module's consumer, and every node's redirect cache follows.
@Suite struct LinkOwnerTests {
    struct Me: Decodable { let id: String }

    /// Expects `condition` to hold soon: the change travels through the outbox, whose delivery
    /// on PostgreSQL waits for every older open transaction on the server.

    @Test(arguments: DatabaseEngine.allCases)
    func aDisabledOwnersLinksPauseAndADeletedOwnersLinksGoOnEveryNode(engine: DatabaseEngine) async throws {
        try await TestServer.withTwoServers(engine: engine, modules: [LinksModule()]) { first, second in
            let (server, a) = first
            let b = second.1
            let admin = try await a.signedIn("root@example.com", roles: [.admin], server: server)
            let ada = try await a.signedIn("ada@example.com", server: server)
            let adaID = try await a.json("/v1/auth/me", .get, token: ada.accessToken).decoded(Me.self).id
            let link = try await a.shorten(#"{"url":"https://one.example"}"#, token: ada.accessToken).decoded(CreatedLink.self)
            let other = try await a.shorten(#"{"url":"https://kept.example"}"#, token: admin.accessToken).decoded(CreatedLink.self)
            // Both nodes have the target cached.
            #expect(try await a.follow(link.code).status == .found)
            #expect(try await b.follow(link.code).status == .found)

            #expect(try await a.json("/v1/users/\(adaID)", .patch, token: admin.accessToken, body: #"{"disabled":true}"#).status == .ok)
            // Either node's dispatcher may run the consumer: the other hears of it over the bus.
            try await expectEventually { try await b.follow(link.code).status == .notFound }
            try await expectEventually { try await a.follow(link.code).status == .notFound }
            #expect(try await b.follow(other.code).status == .found)

            #expect(try await a.json("/v1/users/\(adaID)", .patch, token: admin.accessToken, body: #"{"disabled":false}"#).status == .ok)
            try await expectEventually { try await b.follow(link.code).status == .found }

            #expect(try await a.json("/v1/users/\(adaID)", .delete, token: admin.accessToken).status == .noContent)
            try await expectEventually { try await b.follow(link.code).status == .notFound }
            try await expectEventually { try await a.follow(link.code).status == .notFound }
            #expect(try await b.follow(other.code).status == .found)
            let database = server.platform.database
            try await expectEventually {
                try await database.read { connection in
                    try await connection.raw("SELECT count(*) AS n FROM links_links WHERE owner_id = \(bind: adaID)").first()!.decode(column: "n", as: Int.self) == 0
                }
            }
            // Clicks of the deleted user's links go with them; the admin's stay.
            try await expectEventually {
                try await database.read { connection in
                    try await connection.raw("SELECT count(*) AS n FROM links_clicks WHERE code = \(bind: link.code)").first()!.decode(column: "n", as: Int.self) == 0
                }
            }
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func theCreatedEventCarriesTheShortURL(engine: DatabaseEngine) async throws {
        try await LinksTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let link = try await client.shorten(#"{"url":"https://e.com"}"#, token: ada.accessToken).decoded(CreatedLink.self)
            let payload = try await server.platform.database.read { connection in
                try await connection.raw("SELECT payload FROM apus_events WHERE type = 'links.link.created'").first()!.decode(column: "payload", as: String.self)
            }
            #expect(payload.contains(#""short_url":"https://sho.rt/\#(link.code)""#))
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aTagWithAnUnderscoreMatchesOnlyItself(engine: DatabaseEngine) async throws {
        try await LinksTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            #expect(try await client.shorten(#"{"url":"https://under.example","tags":["a_b"]}"#, token: ada.accessToken).status == .created)
            #expect(try await client.shorten(#"{"url":"https://dash.example","tags":["a-b"]}"#, token: ada.accessToken).status == .created)
            struct Page: Decodable { let items: [CreatedLink] }
            let underscored = try await client.json("/v1/links?tag=a_b", .get, token: ada.accessToken).decoded(Page.self)
            #expect(underscored.items.map(\.url) == ["https://under.example/"])
            let dashed = try await client.json("/v1/links?tag=a-b", .get, token: ada.accessToken).decoded(Page.self)
            #expect(dashed.items.map(\.url) == ["https://dash.example/"])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func redirectsHaveTheirOwnRateLimitApartFromTheAPIs(engine: DatabaseEngine) async throws {
        try await LinksTest.withNode(engine: engine, configure: {
            $0.defaultRateLimit = RateLimitPolicy(name: "default", limit: 3, window: 60)
            $0.redirectRateLimit = RateLimitPolicy(name: "redirect", limit: 8, window: 60)
        }) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let link = try await client.shorten(#"{"url":"https://e.com"}"#, token: ada.accessToken).decoded(CreatedLink.self)
            // More redirects than the API policy allows, within the redirect policy.
            for _ in 0..<8 { #expect(try await client.follow(link.code).status == .found) }
            #expect(try await client.follow(link.code).status == .tooManyRequests)
            // The redirects did not use up the API's allowance.
            #expect(try await client.json("/v1/links", .get, token: ada.accessToken).status == .ok)
        }
    }
}
