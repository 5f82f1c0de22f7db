@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct IdempotencyTests {
    static let key = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    static func signedIn(_ client: some TestClientProtocol, _ server: ApusServer, _ email: String = "ada@example.com") async throws -> HTTPFields {
        [.authorization: "Bearer \(try await client.signedIn(email, server: server).accessToken)"]
    }

    @Test(arguments: DatabaseEngine.allCases)
    func anAnonymousRequestIsNeverReplayedAndCallersNeverShareAKey(engine: DatabaseEngine) async throws {
        let module = EchoModule()
        try await TestServer.withServer(engine: engine, modules: [module]) { server, client in
            let body = ByteBuffer(string: #"{"name":"tea","repeat_count":0}"#)
            let first = try await client.execute(uri: "/v1/orders", method: .post, headers: [Self.key: "same"], body: body)
            let second = try await client.execute(uri: "/v1/orders", method: .post, headers: [Self.key: "same"], body: body)
            #expect(second.headers[Self.replayed] == nil)
            #expect(String(buffer: first.body) != String(buffer: second.body))
            let ada = try await Self.signedIn(client, server, "ada@example.com")
            let bob = try await Self.signedIn(client, server, "bob@example.com")
            let forAda = try await client.execute(uri: "/v1/orders", method: .post, headers: ada + [Self.key: "shared"], body: body)
            let forBob = try await client.execute(uri: "/v1/orders", method: .post, headers: bob + [Self.key: "shared"], body: body)
            #expect(forBob.headers[Self.replayed] == nil)
            #expect(String(buffer: forAda.body) != String(buffer: forBob.body))
        }
        #expect(await module.runs.value == 4)
    }

    /// A JSON route replays whatever content type a request claims: only routes registered as
    /// streamed skip replay.
    @Test(arguments: DatabaseEngine.allCases)
    func aStreamedContentTypeOnAJSONRouteIsStillReplayed(engine: DatabaseEngine) async throws {
        let module = EchoModule()
        try await TestServer.withServer(engine: engine, modules: [module]) { server, client in
            let ada = try await Self.signedIn(client, server)
            let headers = ada + [Self.key: "one-order", .contentType: "application/offset+octet-stream"]
            let body = ByteBuffer(string: #"{"name":"tea","repeat_count":0}"#)
            let first = try await client.execute(uri: "/v1/orders", method: .post, headers: headers, body: body)
            let second = try await client.execute(uri: "/v1/orders", method: .post, headers: headers, body: body)
            #expect(first.status == second.status)
            #expect(second.headers[Self.replayed] == "true")
            #expect(String(buffer: first.body) == String(buffer: second.body))
        }
        #expect(await module.runs.value == 1)
    }

    /// Responses that carry secrets are marked no-store and never kept for replay.
    @Test(arguments: DatabaseEngine.allCases)
    func aResponseCarryingASecretIsNeverStored(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { server, client in
            let login = try await client.json("/v1/auth/register", .post, body: #"{"email":"ada@example.com","password":"correct horse"}"#)
            #expect(login.headers[.cacheControl] == "no-store")
            #expect(login.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            let auth = try await Self.signedIn(client, server, "bob@example.com")
            let request = #"{"name":"ci","scopes":["account.self"]}"#
            let first = try await client.execute(uri: "/v1/api-keys", method: .post, headers: auth + [Self.key: "key-1", .contentType: "application/json"], body: ByteBuffer(string: request))
            let second = try await client.execute(uri: "/v1/api-keys", method: .post, headers: auth + [Self.key: "key-1", .contentType: "application/json"], body: ByteBuffer(string: request))
            #expect(first.status == .created && second.status == .created)
            #expect(first.headers[.cacheControl] == "no-store")
            #expect(second.headers[Self.replayed] == nil)
            let stored = try await server.platform.database.read { connection in
                try await connection.raw("SELECT count(*) AS n FROM apus_idempotency_keys").first()!.decode(column: "n", as: Int.self)
            }
            #expect(stored == 0)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aRepeatedKeyReplaysTheFirstResponseWithoutRerunning(engine: DatabaseEngine) async throws {
        let module = EchoModule()
        try await TestServer.withServer(engine: engine, modules: [module]) { server, client in
            let auth = try await Self.signedIn(client, server)
            let body = #"{"name":"tea","repeat_count":0}"#
            let first = try await client.execute(uri: "/v1/orders", method: .post, headers: auth + [Self.key: "order-1"], body: ByteBuffer(string: body))
            #expect(first.status == .created)
            #expect(first.headers[Self.replayed] == nil)
            let again = try await client.execute(uri: "/v1/orders", method: .post, headers: auth + [Self.key: "order-1"], body: ByteBuffer(string: body))
            #expect(again.status == .created)
            #expect(again.headers[Self.replayed] == "true")
            #expect(again.headers[.location] == first.headers[.location])
            #expect(String(buffer: again.body) == String(buffer: first.body))
            let other = try await client.execute(uri: "/v1/orders", method: .post, headers: auth + [Self.key: "order-2"], body: ByteBuffer(string: body))
            #expect(String(buffer: other.body) == #"{"order":2,"name":"tea"}"#)
            // Credentials that do not check out never reach a stored response.
            let stranger = try await client.execute(
                uri: "/v1/orders", method: .post, headers: [Self.key: "order-1", .authorization: "Bearer someone-else"], body: ByteBuffer(string: body)
            )
            #expect(stranger.status == .unauthorized)
        }
        #expect(await module.runs.value == 2)
    }

    @Test(arguments: DatabaseEngine.allCases)
    func reusingAKeyForADifferentRequestIsA422(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { server, client in
            let auth = try await Self.signedIn(client, server)
            _ = try await client.execute(uri: "/v1/orders", method: .post, headers: auth + [Self.key: "k"], body: ByteBuffer(string: #"{"name":"a","repeat_count":0}"#))
            let reused = try await client.execute(uri: "/v1/orders", method: .post, headers: auth + [Self.key: "k"], body: ByteBuffer(string: #"{"name":"b","repeat_count":0}"#))
            #expect(reused.status == .unprocessableContent)
            #expect(reused.headers[.contentType] == "application/problem+json")
            let bad = try await client.execute(uri: "/v1/orders", method: .post, headers: [Self.key: "has space"], body: ByteBuffer(string: "{}"))
            #expect(bad.status == .badRequest)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aRetryWhileTheFirstRunsIsA409(engine: DatabaseEngine) async throws {
        let module = EchoModule()
        try await TestServer.withServer(engine: engine, modules: [module]) { server, client in
            let auth = try await Self.signedIn(client, server)
            let body = #"{"name":"slow","repeat_count":5}"#
            async let first = client.execute(uri: "/v1/orders", method: .post, headers: auth + [Self.key: "slow"], body: ByteBuffer(string: body))
            // The second is sent once the first holds the key (its handler takes 500 ms).
            try await expectEventually {
                try await server.platform.read { try await $0.raw("SELECT count(*) AS n FROM apus_idempotency_keys").first()!.decode(column: "n", as: Int.self) } == 1
            }
            let second = try await client.execute(uri: "/v1/orders", method: .post, headers: auth + [Self.key: "slow"], body: ByteBuffer(string: body))
            #expect(second.status == .conflict)
            #expect(second.headers[.retryAfter] == "1")
            #expect(try await first.status == .created)
        }
        #expect(await module.runs.value == 1)
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aServerErrorIsNotStoredSoTheRetryRunsAgain(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { server, client in
            let auth = try await Self.signedIn(client, server)
            let failed = try await client.execute(uri: "/v1/flaky", method: .post, headers: auth + [Self.key: "f"])
            #expect(failed.status == .internalServerError)
            let retried = try await client.execute(uri: "/v1/flaky", method: .post, headers: auth + [Self.key: "f"])
            #expect(retried.status == .ok)
            #expect(String(buffer: retried.body) == "ok 2")
            let replayed = try await client.execute(uri: "/v1/flaky", method: .post, headers: auth + [Self.key: "f"])
            #expect(String(buffer: replayed.body) == "ok 2")
        }
    }
}

extension HTTPFields {
    /// Both sets of fields.
    static func + (lhs: HTTPFields, rhs: HTTPFields) -> HTTPFields {
        var fields = lhs
        fields.append(contentsOf: rhs)
        return fields
    }
}
