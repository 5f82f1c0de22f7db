@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct SigningKeyTests {
    struct JWKS: Decodable {
        struct Key: Decodable { let kty: String; let crv: String; let kid: String; let x: String; let alg: String }
        let keys: [Key]
    }

    @Test(arguments: DatabaseEngine.allCases)
    func rotationSignsWithTheNewKeyWhileOldTokensStillVerify(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { server, client in
            try await client.register("ada@example.com")
            let before = try await client.login("ada@example.com")
            let firstSet = try await client.json("/.well-known/jwks.json", .get).decoded(JWKS.self)
            #expect(firstSet.keys.count == 1)
            #expect(firstSet.keys[0].kty == "OKP" && firstSet.keys[0].crv == "Ed25519" && firstSet.keys[0].alg == "EdDSA")

            let newKid = try await SigningKeys.rotate(database: server.platform.database, retention: 3600)
            try await server.identity.signingKeys.load()
            let after = try await client.login("ada@example.com")
            #expect(Self.kid(of: after.accessToken) == newKid)
            #expect(Self.kid(of: before.accessToken) == firstSet.keys[0].kid)
            #expect(try await client.json("/v1/auth/me", .get, token: before.accessToken).status == .ok)
            #expect(try await client.json("/v1/auth/me", .get, token: after.accessToken).status == .ok)
            #expect(try await client.json("/.well-known/jwks.json", .get).decoded(JWKS.self).keys.map(\.kid) == [firstSet.keys[0].kid, newKid])

            // With no retention every key but the newest goes: their tokens no longer verify.
            let newest = try await SigningKeys.rotate(database: server.platform.database, retention: 0)
            try await server.identity.signingKeys.load()
            #expect(try await client.json("/.well-known/jwks.json", .get).decoded(JWKS.self).keys.map(\.kid) == [newest])
            #expect(try await client.json("/v1/auth/me", .get, token: before.accessToken).status == .unauthorized)
            #expect(try await client.json("/v1/auth/me", .get, token: after.accessToken).status == .unauthorized)
        }
    }

    @Test func anExpiredAccessTokenIsRefused() async throws {
        // Verification reads the platform's clock, which the test moves past the token's life.
        let clock = TestClock()
        // The clock is real time plus what the test adds: the margins leave a loaded machine
        // half a minute of real time.
        try await TestServer.withServer(clock: clock, configure: { $0.accessTokenLifetime = 60 }) { _, client in
            try await client.register("ada@example.com")
            let pair = try await client.login("ada@example.com")
            #expect(try await client.json("/v1/auth/me", .get, token: pair.accessToken).status == .ok)
            clock.advance(by: 30)
            #expect(try await client.json("/v1/auth/me", .get, token: pair.accessToken).status == .ok)
            clock.advance(by: 31)
            #expect(try await client.json("/v1/auth/me", .get, token: pair.accessToken).status == .unauthorized)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func nodesStartingTogetherShareOneFirstKey(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { server, _ in
            let database = server.platform.database
            try await database.write { try await $0.raw("DELETE FROM auth_signing_keys").run() }
            let nodes = (0..<8).map { _ in SigningKeys(database: database, logger: TestDatabase.logger) }
            let sets = try await withThrowingTaskGroup(of: JSONValue.self) { group in
                for node in nodes { group.addTask { try await node.load(); return try await node.jwks() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let kids = try await database.read { try await $0.raw("SELECT kid FROM auth_signing_keys").all() }
            #expect(kids.count == 1)
            #expect(sets.allSatisfy { $0 == sets[0] })
        }
    }

    static func kid(of token: String) -> String? {
        guard let header = token.split(separator: ".").first else { return nil }
        var base64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["kid"] as? String
    }
}
