import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct IdempotencyTests {
    static let key = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    @Test(arguments: DatabaseEngine.allCases)
    func aRepeatedKeyReplaysTheFirstResponseWithoutRerunning(engine: DatabaseEngine) async throws {
        let module = EchoModule()
        try await TestServer.withServer(engine: engine, modules: [module]) { _, client in
            let body = #"{"name":"tea","repeat_count":0}"#
            let first = try await client.execute(uri: "/v1/orders", method: .post, headers: [Self.key: "order-1"], body: ByteBuffer(string: body))
            #expect(first.status == .created)
            #expect(first.headers[Self.replayed] == nil)
            let again = try await client.execute(uri: "/v1/orders", method: .post, headers: [Self.key: "order-1"], body: ByteBuffer(string: body))
            #expect(again.status == .created)
            #expect(again.headers[Self.replayed] == "true")
            #expect(again.headers[.location] == first.headers[.location])
            #expect(String(buffer: again.body) == String(buffer: first.body))
            let other = try await client.execute(uri: "/v1/orders", method: .post, headers: [Self.key: "order-2"], body: ByteBuffer(string: body))
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
        try await TestServer.withServer(engine: engine) { _, client in
            _ = try await client.execute(uri: "/v1/orders", method: .post, headers: [Self.key: "k"], body: ByteBuffer(string: #"{"name":"a","repeat_count":0}"#))
            let reused = try await client.execute(uri: "/v1/orders", method: .post, headers: [Self.key: "k"], body: ByteBuffer(string: #"{"name":"b","repeat_count":0}"#))
            #expect(reused.status == .unprocessableContent)
            #expect(reused.headers[.contentType] == "application/problem+json")
            let bad = try await client.execute(uri: "/v1/orders", method: .post, headers: [Self.key: "has space"], body: ByteBuffer(string: "{}"))
            #expect(bad.status == .badRequest)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aRetryWhileTheFirstRunsIsA409(engine: DatabaseEngine) async throws {
        let module = EchoModule()
        try await TestServer.withServer(engine: engine, modules: [module]) { _, client in
            let body = #"{"name":"slow","repeat_count":5}"#
            async let first = client.execute(uri: "/v1/orders", method: .post, headers: [Self.key: "slow"], body: ByteBuffer(string: body))
            try await Task.sleep(for: .milliseconds(150))
            let second = try await client.execute(uri: "/v1/orders", method: .post, headers: [Self.key: "slow"], body: ByteBuffer(string: body))
            #expect(second.status == .conflict)
            #expect(second.headers[.retryAfter] == "1")
            #expect(try await first.status == .created)
        }
        #expect(await module.runs.value == 1)
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aServerErrorIsNotStoredSoTheRetryRunsAgain(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { _, client in
            let failed = try await client.execute(uri: "/v1/flaky", method: .post, headers: [Self.key: "f"])
            #expect(failed.status == .internalServerError)
            let retried = try await client.execute(uri: "/v1/flaky", method: .post, headers: [Self.key: "f"])
            #expect(retried.status == .ok)
            #expect(String(buffer: retried.body) == "ok 2")
            let replayed = try await client.execute(uri: "/v1/flaky", method: .post, headers: [Self.key: "f"])
            #expect(String(buffer: replayed.body) == "ok 2")
        }
    }
}
