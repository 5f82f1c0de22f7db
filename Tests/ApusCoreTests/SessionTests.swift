import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct SessionTests {
    static func refresh(_ client: some TestClientProtocol, _ token: String) async throws -> TestResponse {
        try await client.json("/v1/auth/refresh", .post, body: #"{"refresh_token":"\#(token)"}"#)
    }

    @Test(arguments: DatabaseEngine.allCases)
    func refreshRotatesAndAReusedTokenEndsTheSession(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { _, client in
            try await client.register("ada@example.com")
            let first = try await client.login("ada@example.com")
            let rotated = try await Self.refresh(client, first.refreshToken)
            #expect(rotated.status == .ok)
            let second = try rotated.decoded(TokenPair.self)
            #expect(second.refreshToken != first.refreshToken)
            #expect(try await client.json("/v1/auth/me", .get, token: second.accessToken).status == .ok)
            // The retired token again: theft is assumed and the whole session ends.
            let reused = try await Self.refresh(client, first.refreshToken)
            #expect(reused.status == .unauthorized)
            #expect(try await client.json("/v1/auth/me", .get, token: second.accessToken).status == .unauthorized)
            #expect(try await client.json("/v1/auth/me", .get, token: first.accessToken).status == .unauthorized)
            #expect(try await Self.refresh(client, second.refreshToken).status == .unauthorized)
            #expect(try await Self.refresh(client, "rt_never_issued").status == .unauthorized)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func logoutRefusesTheAccessTokenFromTheNextRequestOn(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { _, client in
            try await client.register("ada@example.com")
            let phone = try await client.login("ada@example.com")
            let laptop = try await client.login("ada@example.com")
            #expect(try await client.json("/v1/auth/me", .get, token: phone.accessToken).status == .ok)
            #expect(try await client.json("/v1/auth/logout", .post, token: phone.accessToken).status == .noContent)
            #expect(try await client.json("/v1/auth/me", .get, token: phone.accessToken).status == .unauthorized)
            #expect(try await Self.refresh(client, phone.refreshToken).status == .unauthorized)
            #expect(try await client.json("/v1/auth/me", .get, token: laptop.accessToken).status == .ok)

            let tablet = try await client.login("ada@example.com")
            #expect(try await client.json("/v1/auth/logout-all", .post, token: tablet.accessToken).status == .noContent)
            #expect(try await client.json("/v1/auth/me", .get, token: laptop.accessToken).status == .unauthorized)
            #expect(try await client.json("/v1/auth/me", .get, token: tablet.accessToken).status == .unauthorized)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func sessionsAreListedAndCanBeEndedOneByOne(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { _, client in
            try await client.register("ada@example.com")
            let phone = try await client.login("ada@example.com", headers: [.userAgent: "phone/1.0"])
            let laptop = try await client.login("ada@example.com", headers: [.userAgent: "laptop/2.0"])
            struct Sessions: Decodable { let items: [Session] }
            let listed = try await client.json("/v1/auth/sessions", .get, token: laptop.accessToken).decoded(Sessions.self).items
            #expect(Set(listed.compactMap(\.userAgent)) == ["phone/1.0", "laptop/2.0"])
            #expect(listed.filter(\.current).map(\.userAgent) == ["laptop/2.0"])
            let phoneSession = try #require(listed.first { $0.userAgent == "phone/1.0" })
            #expect(try await client.json("/v1/auth/sessions/\(phoneSession.id)", .delete, token: laptop.accessToken).status == .noContent)
            #expect(try await client.json("/v1/auth/sessions/\(phoneSession.id)", .delete, token: laptop.accessToken).status == .notFound)
            #expect(try await client.json("/v1/auth/me", .get, token: phone.accessToken).status == .unauthorized)
            // Nobody ends another user's session.
            try await client.register("eve@example.com")
            let eve = try await client.login("eve@example.com")
            let laptopSession = try #require(listed.first { $0.userAgent == "laptop/2.0" })
            #expect(try await client.json("/v1/auth/sessions/\(laptopSession.id)", .delete, token: eve.accessToken).status == .notFound)
            #expect(try await client.json("/v1/auth/me", .get, token: laptop.accessToken).status == .ok)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aLogoutOnOneNodeIsHonouredByAnotherNodesCache(engine: DatabaseEngine) async throws {
        try await TestServer.withTwoNodes(engine: engine) { a, b in
            try await a.register("ada@example.com")
            let pair = try await a.login("ada@example.com")
            // Node B caches the session as live.
            let before = try await b.json("/v1/auth/me", .get, token: pair.accessToken)
            #expect(before.status == .ok, "\(String(buffer: before.body))")
            #expect(try await a.json("/v1/auth/logout", .post, token: pair.accessToken).status == .noContent)
            try await expectEventually { try await b.json("/v1/auth/me", .get, token: pair.accessToken).status == .unauthorized }
        }
    }
}
