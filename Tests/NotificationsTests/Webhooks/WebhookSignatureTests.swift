import Foundation
@testable import Notifications
import Testing

@Suite struct WebhookSignatureTests {
    /// A signature the `standardwebhooks` Python library made (`Fixtures/make_webhook_vectors.py`).
    struct Vector: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var secret: String
        var msgID: String
        var timestamp: Double
        var body: String
        var signature: String

        var testDescription: String { name }

        enum CodingKeys: String, CodingKey {
            case name, secret, timestamp, body, signature
            case msgID = "msg_id"
        }
    }

    private struct Document: Decodable {
        var library: String
        var vectors: [Vector]
    }

    private struct MissingFixture: Error {}

    private static func document() throws -> Document {
        guard let url = Bundle.module.url(forResource: "webhook-vectors", withExtension: "json", subdirectory: "Fixtures") else {
            throw MissingFixture()
        }
        return try JSONDecoder().decode(Document.self, from: Data(contentsOf: url))
    }

    static func vectors() throws -> [Vector] {
        try document().vectors
    }

    @Test(arguments: try vectors())
    func theSignatureMatchesTheReferenceLibrary(_ vector: Vector) {
        let seconds = String(Int(vector.timestamp.rounded(.down)))
        let signature = WebhookSignature.sign(secret: vector.secret, messageID: vector.msgID, timestamp: seconds, body: Array(vector.body.utf8))
        #expect(signature == vector.signature)
    }

    @Test(arguments: try vectors())
    func theHeadersCarryTheIDTheWholeSecondsAndTheReferenceSignature(_ vector: Vector) {
        let headers = WebhookSignature.headers(
            secret: vector.secret, messageID: vector.msgID,
            timestamp: Date(timeIntervalSince1970: vector.timestamp), body: Array(vector.body.utf8)
        )
        #expect(headers.map(\.0) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers.map(\.1) == [vector.msgID, String(Int(vector.timestamp.rounded(.down))), vector.signature])
    }

    @Test func theVectorsCoverTheSpecificationsExampleAndTheEdges() throws {
        #expect(try Self.document().library == "standardwebhooks 1.1.0")
        let vectors = try Self.vectors()
        let example = try #require(vectors.first { $0.secret == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" })
        // The signature printed in the Standard Webhooks specification.
        #expect(example.signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(vectors.contains { $0.body.isEmpty })
        #expect(vectors.contains { !$0.secret.hasPrefix("whsec_") })
        #expect(vectors.contains { $0.timestamp.rounded(.down) != $0.timestamp })
        #expect(vectors.contains { $0.body.utf8.count > 10_000 })
    }

    @Test func aChangeToTheIDTheTimeOrTheBodyChangesTheSignature() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let signature = WebhookSignature.sign(secret: secret, messageID: "msg_1", timestamp: "1614265330", body: body)
        #expect(signature.hasPrefix("v1,") && Data(base64Encoded: String(signature.dropFirst(3)))?.count == 32)
        #expect(WebhookSignature.sign(secret: secret, messageID: "msg_2", timestamp: "1614265330", body: body) != signature)
        #expect(WebhookSignature.sign(secret: secret, messageID: "msg_1", timestamp: "1614265331", body: body) != signature)
        #expect(WebhookSignature.sign(secret: secret, messageID: "msg_1", timestamp: "1614265330", body: body + [0x20]) != signature)
        // Moving the separator between the parts is a different message too.
        #expect(WebhookSignature.sign(secret: secret, messageID: "msg_1.1614265330", timestamp: "", body: body) != signature)
    }

    @Test func aSecretMadeForAnEndpointIsOneTheReferenceAccepts() throws {
        let secret = WebhookEndpointStore.makeSecret()
        #expect(secret.hasPrefix("whsec_"))
        #expect(Data(base64Encoded: String(secret.dropFirst("whsec_".count)))?.count == 32)
    }
}
