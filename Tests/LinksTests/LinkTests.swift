import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Links
import Testing

@Suite struct LinkTests {
    @Test(arguments: DatabaseEngine.allCases)
    func theStoredTargetIsExactlyWhatLocationSends(engine: DatabaseEngine) async throws {
        try await LinksTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let created = try await client.shorten(#"{"url":"HTTPS://Bücher.Example./straße?q=ü"}"#, token: ada.accessToken)
            #expect(created.status == .created)
            let link = try created.decoded(CreatedLink.self)
            #expect(link.url == "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC")
            #expect(try await client.follow(link.code).headers[.location] == link.url)
            let fetched = try await client.json("/v1/links/\(link.code)", .get, token: ada.accessToken).decoded(CreatedLink.self)
            #expect(fetched.url == link.url)
            let patched = try await client.json("/v1/links/\(link.code)", .patch, token: ada.accessToken, body: #"{"url":"https://ｅｘａｍｐｌｅ.org"}"#)
            #expect(try patched.decoded(CreatedLink.self).url == "https://example.org/")
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aShortLinkRedirectsAndIsOwned(engine: DatabaseEngine) async throws {
        try await LinksTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let created = try await client.shorten(#"{"url":"https://example.com/a?b=c","tags":["q4"]}"#, token: ada.accessToken)
            #expect(created.status == .created)
            let link = try created.decoded(CreatedLink.self)
            #expect(link.shortUrl == "https://sho.rt/\(link.code)")
            #expect(link.redirect == 302)
            let redirect = try await client.follow(link.code)
            #expect(redirect.status == .found)
            #expect(redirect.headers[.location] == "https://example.com/a?b=c")
            let head = try await client.execute(uri: "/\(link.code)", method: .head)
            #expect(head.status == .found)
            let permanent = try await client.shorten(#"{"url":"https://example.com/p","redirect":301}"#, token: ada.accessToken).decoded(CreatedLink.self)
            #expect(try await client.follow(permanent.code).status == .movedPermanently)

            let eve = try await client.signedIn("eve@example.com", server: server)
            #expect(try await client.json("/v1/links/\(link.code)", .get, token: eve.accessToken).status == .notFound)
            struct Page: Decodable { let items: [CreatedLink]; let nextCursor: String? }
            #expect(try await client.json("/v1/links", .get, token: eve.accessToken).decoded(Page.self).items.isEmpty)
            let tagged = try await client.json("/v1/links?tag=q4", .get, token: ada.accessToken).decoded(Page.self)
            #expect(tagged.items.map(\.code) == [link.code])
            let firstPage = try await client.json("/v1/links?limit=1", .get, token: ada.accessToken).decoded(Page.self)
            #expect(firstPage.items.count == 1 && firstPage.nextCursor != nil)
            let admin = try await client.signedIn("root@example.com", roles: [.admin], server: server)
            #expect(try await client.json("/v1/links/\(link.code)", .get, token: admin.accessToken).status == .ok)
            #expect(try await client.json("/v1/links", .get).status == .unauthorized)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func badTargetsAndAliasesAreRefusedClearly(engine: DatabaseEngine) async throws {
        try await LinksTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            for body in [#"{"url":"javascript:alert(1)"}"#, #"{"url":"data:text/html,x"}"#, #"{"url":"https://sho.rt/x"}"#,
                         #"{"url":"https://e.com","redirect":307}"#, #"{"url":"https://e.com","max_visits":0}"#,
                         #"{"url":"https://e.com","alias":"v1"}"#, #"{"url":"https://e.com","alias":"Health"}"#,
                         #"{"url":"https://e.com","alias":"metrics"}"#, #"{"url":"https://e.com","alias":"a b c"}"#,
                         #"{"url":"https://e.com","expires_at":"2001-01-01T00:00:00Z"}"#, #"{"url":"https://e.com","tags":["a/b"]}"#] {
                let response = try await client.shorten(body, token: ada.accessToken)
                #expect(response.status == .unprocessableContent, "\(body) answered \(response.status)")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            #expect(try await client.shorten(#"{"url":"https://e.com","alias":"Promo"}"#, token: ada.accessToken).status == .created)
            #expect(try await client.shorten(#"{"url":"https://e.com","alias":"Promo"}"#, token: ada.accessToken).status == .conflict)
            // Case-sensitive: a different alias.
            #expect(try await client.shorten(#"{"url":"https://e.com","alias":"promo"}"#, token: ada.accessToken).status == .created)
            #expect(try await client.follow("nope-nope").status == .notFound)
            #expect(try await client.follow("nope-nope").headers[.contentType] == "application/problem+json")
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func concurrentClaimsOfOneAliasLetExactlyOneWin(engine: DatabaseEngine) async throws {
        try await LinksTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<8 {
                    group.addTask { try await client.shorten(#"{"url":"https://e.com/\#(index)","alias":"race"}"#, token: ada.accessToken).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 7)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func maxVisitsHoldsExactlyUnderConcurrentVisits(engine: DatabaseEngine) async throws {
        try await LinksTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let link = try await client.shorten(#"{"url":"https://e.com","max_visits":5}"#, token: ada.accessToken).decoded(CreatedLink.self)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 { group.addTask { try await client.follow(link.code).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .found }.count == 5)
            #expect(statuses.filter { $0 == .gone }.count == 15)
            #expect(try await client.json("/v1/links/\(link.code)", .get, token: ada.accessToken).decoded(CreatedLink.self).visits == 5)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func anExpiredLinkIsGone(engine: DatabaseEngine) async throws {
        let clock = TestClock()
        try await LinksTest.withNode(engine: engine, clock: clock) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let inAnHour = Timestamp.format(Date().addingTimeInterval(3600))
            let link = try await client.shorten(#"{"url":"https://e.com","expires_at":"\#(inAnHour)"}"#, token: ada.accessToken).decoded(CreatedLink.self)
            #expect(try await client.follow(link.code).status == .found)
            clock.advance(by: 3601)
            #expect(try await client.follow(link.code).status == .gone)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func changesAndDeletionsReachEveryNodesCache(engine: DatabaseEngine) async throws {
        try await TestServer.withTwoNodes(engine: engine, modules: [LinksModule()]) { a, b in
            try await a.register("ada@example.com")
            let ada = try await a.login("ada@example.com")
            let link = try await a.shorten(#"{"url":"https://one.example"}"#, token: ada.accessToken).decoded(CreatedLink.self)
            // Node B caches the target, and an unknown code as missing.
            #expect(try await b.follow(link.code).headers[.location] == "https://one.example/")
            #expect(try await b.follow("later").status == .notFound)
            #expect(try await a.json("/v1/links/\(link.code)", .patch, token: ada.accessToken, body: #"{"url":"https://two.example"}"#).status == .ok)
            #expect(try await a.shorten(#"{"url":"https://later.example","alias":"later"}"#, token: ada.accessToken).status == .created)
            try await expectEventually { try await b.follow(link.code).headers[.location] == "https://two.example/" }
            try await expectEventually { try await b.follow("later").status == .found }
            #expect(try await a.json("/v1/links/\(link.code)", .delete, token: ada.accessToken).status == .noContent)
            try await expectEventually { try await b.follow(link.code).status == .notFound }
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aRepeatedIdempotencyKeyCreatesOneLink(engine: DatabaseEngine) async throws {
        try await LinksTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "create-1"]
            let first = try await client.shorten(#"{"url":"https://e.com"}"#, token: ada.accessToken, headers: key).decoded(CreatedLink.self)
            let second = try await client.shorten(#"{"url":"https://e.com"}"#, token: ada.accessToken, headers: key).decoded(CreatedLink.self)
            #expect(first.code == second.code)
            struct Page: Decodable { let items: [CreatedLink] }
            #expect(try await client.json("/v1/links", .get, token: ada.accessToken).decoded(Page.self).items.count == 1)
        }
    }

}
