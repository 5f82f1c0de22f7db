@testable import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct RateLimitTests {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    @Test func aLoginBurstFromOneAddressIsRefusedWhileOthersGoOn() async throws {
        try await TestServer.withServer(live: true, configure: {
            $0.authRateLimit = RateLimitPolicy(name: "auth", limit: 3, window: 60)
            $0.trustedProxies = ["127.0.0.1", "::1"]
        }) { _, client in
            let attacker: HTTPFields = [Self.forwardedFor: "203.0.113.7"]
            var statuses: [HTTPResponse.Status] = []
            var last: TestResponse?
            for _ in 0..<5 {
                let response = try await client.json("/v1/auth/login", .post, body: #"{"email":"x@example.com","password":"wrong password"}"#, headers: attacker)
                statuses.append(response.status)
                last = response
            }
            #expect(statuses == [.unauthorized, .unauthorized, .unauthorized, .tooManyRequests, .tooManyRequests])
            let refused = try #require(last)
            #expect(refused.headers[.contentType] == "application/problem+json")
            // Both the auth policy and the default one apply; each is an item of the list.
            #expect(refused.headers[HTTPField.Name("RateLimit-Policy")!]?.hasPrefix(#""auth";q=3;w=60, "default";q=6000;w=60"#) == true)
            #expect(refused.headers[HTTPField.Name("RateLimit")!]?.hasPrefix(#""auth";r=0;t="#) == true)
            let retryAfter = try #require(refused.headers[.retryAfter].flatMap(Int.init))
            #expect((1...20).contains(retryAfter))
            // Another client, behind the same trusted proxy, is not affected.
            let other = try await client.json("/v1/auth/register", .post, body: #"{"email":"ok@example.com","password":"correct horse"}"#,
                                              headers: [Self.forwardedFor: "198.51.100.1"])
            #expect(other.status == .created)
            #expect(other.headers[HTTPField.Name("RateLimit")!]?.hasPrefix(#""auth";r=2;t=20"#) == true)
        }
    }

    /// Wrong passwords from anywhere cannot lock an account's owner out: a client that signed in
    /// before keeps an allowance of its own, while new clients share the account's.
    @Test(arguments: DatabaseEngine.allCases)
    func aClientThatSignedInBeforeStillSignsInWhileTheAccountIsUnderAttack(engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [], live: true, configure: {
            $0.loginEmailRateLimit = RateLimitPolicy(name: "login-email", limit: 3, window: 60)
            $0.trustedProxies = ["127.0.0.1", "::1"]
        }) { _, client in
            try await client.register("ada@example.com")
            let home: HTTPFields = [Self.forwardedFor: "192.0.2.10"]
            _ = try await client.login("ada@example.com", headers: home)
            func attempt(_ password: String, from address: String) async throws -> HTTPResponse.Status {
                try await client.json("/v1/auth/login", .post, body: #"{"email":"ada@example.com","password":"\#(password)"}"#,
                                      headers: [Self.forwardedFor: address]).status
            }
            // The first sign-in came from a client not yet known, so it drew on the account's allowance too.
            var attack: [HTTPResponse.Status] = []
            for index in 0..<4 { attack.append(try await attempt("wrong password", from: "203.0.113.\(index)")) }
            #expect(attack == [.unauthorized, .unauthorized, .tooManyRequests, .tooManyRequests])
            // The owner's client signs in; a client never seen before waits like the attacker.
            #expect(try await attempt("correct horse", from: "192.0.2.10") == .ok)
            #expect(try await attempt("correct horse", from: "198.51.100.77") == .tooManyRequests)
            // The known client's own allowance is limited too: guessing from it is no faster.
            var guesses: [HTTPResponse.Status] = []
            for _ in 0..<3 { guesses.append(try await attempt("wrong password", from: "192.0.2.10")) }
            #expect(guesses == [.unauthorized, .unauthorized, .tooManyRequests])
        }
    }

    @Test func loginAttemptsOnOneAccountAreLimitedAcrossAddresses() async throws {
        try await TestServer.withServer(live: true, configure: {
            $0.loginEmailRateLimit = RateLimitPolicy(name: "login-email", limit: 2, window: 60)
            $0.trustedProxies = ["127.0.0.1", "::1"]
        }) { _, client in
            try await client.register("ada@example.com")
            var statuses: [HTTPResponse.Status] = []
            for address in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
                let response = try await client.json("/v1/auth/login", .post, body: #"{"email":"ada@example.com","password":"wrong password"}"#,
                                                     headers: [Self.forwardedFor: address])
                statuses.append(response.status)
            }
            #expect(statuses == [.unauthorized, .unauthorized, .tooManyRequests])
        }
    }

    @Test func anUntrustedPeerCannotChooseItsAddress() throws {
        let addresses = try ClientAddress(trustedProxies: ["10.0.0.0/8", "192.168.1.5"])
        #expect(addresses.resolve(peer: "203.0.113.9", forwardedFor: "1.2.3.4") == "203.0.113.9")
        #expect(addresses.resolve(peer: "10.1.2.3", forwardedFor: "1.2.3.4, 192.168.1.5") == "1.2.3.4")
        #expect(addresses.resolve(peer: "10.1.2.3", forwardedFor: "6.6.6.6, 1.2.3.4") == "1.2.3.4")
        #expect(addresses.resolve(peer: "10.1.2.3", forwardedFor: nil) == "10.1.2.3")
        #expect(throws: ConfigurationError.self) { try ClientAddress(trustedProxies: ["10.0.0.0/33"]) }
    }

    @Test func memoryStaysBoundedUnderManyDistinctKeys() {
        let limiter = RateLimiter(policy: RateLimitPolicy(name: "t", limit: 1, window: 60), maximumKeys: 1000)
        for index in 0..<5000 { _ = limiter.take("client-\(index)") }
        #expect(limiter.trackedKeys == 1000)
        #expect(limiter.take("client-4999").allowed == false)
    }

    @Test func policiesParseFromConfiguration() throws {
        #expect(try RateLimitPolicy.parse("10/60s", name: "a", setting: "X") == RateLimitPolicy(name: "a", limit: 10, window: 60))
        #expect(throws: ConfigurationError.self) { try RateLimitPolicy.parse("ten/60", name: "a", setting: "X") }
        #expect(throws: ConfigurationError.self) { try ApusConfiguration(environment: ["APUS_RATE_LIMIT_DEFAULT": "0/1"]) }
    }
}

@Suite struct SharedRateLimitTests {
    @Test(arguments: DatabaseEngine.allCases)
    func aSharedPolicyCountsAcrossNodes(engine: DatabaseEngine) async throws {
        try await TestServer.withTwoNodes(engine: engine, configure: {
            $0.authRateLimit = RateLimitPolicy(name: "auth", limit: 3, window: 60)
            $0.sharedRateLimits = ["auth"]
        }) { a, b in
            let body = #"{"email":"x@example.com","password":"wrong password"}"#
            var statuses: [HTTPResponse.Status] = []
            for client in [a, b, a, b] {
                statuses.append(try await client.json("/v1/auth/login", .post, body: body).status)
            }
            #expect(statuses == [.unauthorized, .unauthorized, .unauthorized, .tooManyRequests])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aSharedBucketRefillsAtThePolicyRate(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database async throws in
            try await Migrator(database: database, migrations: [SharedRateLimiter.migration], logger: TestDatabase.logger).migrate()
            let clock = TestClock()
            // Two an hour, so the test's clock does the refilling. The clock also moves with the
            // wall, and a loaded machine may spend seconds between two calls: each such second
            // takes one off a reset, so resets are checked to within ten.
            let limiter = SharedRateLimiter(policy: RateLimitPolicy(name: "hourly", limit: 2, window: 3600), database: database, now: clock.now)
            #expect(try await limiter.acquire("k").allowed)
            let second = try await limiter.acquire("k")
            #expect(second.allowed && second.remaining == 0 && (3590...3600).contains(second.reset), "\(second)")
            let refused = try await limiter.acquire("k")
            #expect(!refused.allowed && (1790...1800).contains(refused.reset), "\(refused)")
            #expect(try await limiter.acquire("other").allowed)
            clock.advance(by: 1500)
            #expect(try await !limiter.acquire("k").allowed)
            clock.advance(by: 310)
            #expect(try await limiter.acquire("k").allowed)
        }
    }
}
