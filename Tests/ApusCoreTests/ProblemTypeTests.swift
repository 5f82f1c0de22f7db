import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Every problem names its kind in `type`, so a client branches on it instead of on `detail`.
@Suite struct ProblemTypeTests {
    @Test func aProblemTakesItsStatusKindUnlessGivenOne() {
        #expect(Problem.notFound("x").type == "urn:apus:problem:not-found")
        #expect(Problem.unprocessable("x").type == "urn:apus:problem:validation")
        #expect(Problem(.tooManyRequests).type == "urn:apus:problem:rate-limited")
        #expect(Problem(.preconditionRequired).type == "urn:apus:problem:precondition-required")
        #expect(Problem(.contentTooLarge).type == "urn:apus:problem:payload-too-large")
        #expect(Problem(.init(code: 418)).type == "urn:apus:problem:client-error")
        #expect(Problem(.init(code: 502)).type == "urn:apus:problem:server-error")
        let stock = ProblemType.module("shop", "out-of-stock", meaning: "Sold out.")
        #expect(Problem(.conflict, type: stock).type == "urn:apus:problem:shop:out-of-stock")
    }

    @Test func everyBadFieldIsNamedInOne422() throws {
        try Problem.throwIfInvalid([])
        do {
            try Problem.throwIfInvalid([.init(field: "name", message: "is required"), .init(field: "price", message: "must be at least 0")])
            Issue.record("two bad fields were taken")
        } catch {
            #expect(error.status == .unprocessableContent && error.type == "urn:apus:problem:validation")
            #expect(error.detail == "Field name is required.")
            #expect(error.errors?.map(\.field) == ["name", "price"])
        }
    }

    @Test func everyPlatformKindHasItsOwnURIAndAMeaning() {
        let uris = ProblemType.platform.map(\.uri)
        #expect(Set(uris).count == uris.count)
        #expect(ProblemType.platform.allSatisfy { $0.uri.hasPrefix("urn:apus:problem:") && !$0.meaning.isEmpty })
        for code in 400...599 {
            #expect(uris.contains(ProblemType.for(.init(code: code)).uri), "\(code)")
        }
    }

    @Test func answersCarryTheirKind() async throws {
        try await TestServer.withServer { _, client in
            let missing = try await client.execute(uri: "/no/such/thing", method: .get)
            #expect(try ProblemResponseTests.problem(missing).type == "urn:apus:problem:not-found")
            let notJSON = try await client.execute(
                uri: "/v1/echo", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{")
            )
            #expect(try ProblemResponseTests.problem(notJSON).type == "urn:apus:problem:bad-request")
            let invalid = try await client.execute(
                uri: "/v1/echo", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"name":"x","repeat_count":1.5}"#)
            )
            #expect(try ProblemResponseTests.problem(invalid).type == "urn:apus:problem:validation")
            let method = try await client.execute(uri: "/v1/echo", method: .delete)
            #expect(try ProblemResponseTests.problem(method).type == "urn:apus:problem:method-not-allowed")
        }
    }

    @Test func theDocumentListsThePlatformKindsAndAFragmentsOwn() throws {
        let stock = ProblemType.module("shop", "out-of-stock", meaning: "Sold out.")
        let document = try OpenAPIDocument.build(version: "1", fragments: [OpenAPIFragment(problemTypes: [stock])])
        guard case .array(let listed)? = document["components"]?["schemas"]?["Problem"]?["properties"]?["type"]?["enum"] else {
            Issue.record("the Problem schema's type lists no kinds")
            return
        }
        #expect(listed == (ProblemType.platform + [stock]).map { .string($0.uri) })
    }
}
