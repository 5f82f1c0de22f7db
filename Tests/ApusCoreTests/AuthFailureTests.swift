@testable import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Bad credentials are rate limited per address, before they cost a lookup.
@Suite struct AuthFailureTests {
    @Test(arguments: DatabaseEngine.allCases)
    func failedAuthenticationsFromOneAddressRunOutInto429(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine, configure: {
            $0.authFailureRateLimit = RateLimitPolicy(name: "auth-failures", limit: 5, window: 60)
        }) { server, client in
            let token = try await client.signedIn("ada@example.com", server: server).accessToken
            #expect(try await client.json("/v1/auth/me", .get, token: token).status == .ok)
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<8 {
                let bogus = "apus_" + OpaqueID.random(words: 3)
                statuses.append(try await client.json("/v1/auth/me", .get, token: bogus).status)
            }
            #expect(statuses.prefix(5).allSatisfy { $0 == .unauthorized })
            #expect(statuses.dropFirst(5).allSatisfy { $0 == .tooManyRequests })
            let refused = try await client.json("/v1/auth/me", .get, token: "forged.jwt.token")
            #expect(refused.status == .tooManyRequests)
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
            // Requests without credentials are not held against anyone.
            #expect(try await client.execute(uri: "/health/live", method: .get).status == .ok)
        }
    }

    @Test func onlyKeysOfTheShapeThisServerMakesAreLookedUp() {
        #expect(APIKeyStore.isWellFormed("apus_" + OpaqueID.random(words: 3)))
        #expect(!APIKeyStore.isWellFormed("apus_0123456789abcdef0123456789abcdef"))
        #expect(!APIKeyStore.isWellFormed("apus_" + String(repeating: "é", count: 33)))
        #expect(!APIKeyStore.isWellFormed("nope_" + OpaqueID.random(words: 3)))
    }
}
