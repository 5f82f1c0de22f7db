import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct ProblemResponseTests {
    struct ProblemBody: Decodable {
        let type: String
        let title: String
        let status: Int
        let detail: String?
        let requestId: String?
        let errors: [Problem.FieldError]?
    }

    static func problem(_ response: TestResponse) throws -> ProblemBody {
        #expect(response.headers[.contentType] == "application/problem+json")
        return try APIJSON.decoder.decode(ProblemBody.self, from: Data(buffer: response.body))
    }

    /// A number that does not fit an integer field is that field's fault, not the JSON's.
    @Test func aFractionOrHugeNumberForAnIntegerIsA422NamingTheField() async throws {
        try await TestServer.withServer { _, client in
            for value in ["1.5", "1e30"] {
                let response = try await client.execute(
                    uri: "/v1/echo", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"name":"x","repeat_count":\#(value)}"#)
                )
                #expect(response.status == .unprocessableContent, "repeat_count \(value)")
                #expect(try Self.problem(response).errors?.first?.field == "repeat_count")
            }
        }
    }

    @Test func aDayTheCalendarLacksIsNotATime() {
        #expect(Timestamp.parse("2030-02-30T00:00:00Z") == nil)
        #expect(Timestamp.parse("2029-02-29T00:00:00Z") == nil)
        #expect(Timestamp.parse("2028-02-29T00:00:00Z") != nil)
        #expect(Timestamp.parse("2030-04-31T12:00:00.000Z") == nil)
        #expect(Timestamp.parse("2030-12-31T23:59:59+02:00") != nil)
    }

    @Test func anUnknownRouteIsA404Problem() async throws {
        try await TestServer.withServer { _, client in
            let response = try await client.execute(uri: "/no/such/thing", method: .get)
            #expect(response.status == .notFound)
            let body = try Self.problem(response)
            #expect(body.status == 404)
            #expect(body.detail == "No resource at /no/such/thing.")
            #expect(body.requestId == response.headers[.init("X-Request-ID")!])
        }
    }

    @Test func aWrongMethodIsA405ProblemWithAllow() async throws {
        try await TestServer.withServer { _, client in
            let response = try await client.execute(uri: "/v1/echo", method: .delete)
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "POST, OPTIONS")
            #expect(try Self.problem(response).status == 405)
            let query = try await client.execute(uri: "/v1/echo/word", method: .init("QUERY")!)
            #expect(query.status == .methodNotAllowed)
            #expect(query.headers[.allow] == "GET, HEAD, OPTIONS")
            let options = try await client.execute(uri: "/health/live", method: .options)
            #expect(options.status == .noContent)
            #expect(options.headers[.allow] == "GET, HEAD, OPTIONS")
        }
    }

    @Test func malformedJSONIsA400Problem() async throws {
        try await TestServer.withServer { _, client in
            let response = try await client.execute(uri: "/v1/echo", method: .post, body: ByteBuffer(string: "{\"name\": "))
            #expect(response.status == .badRequest)
            #expect(try Self.problem(response).detail == "The body is not valid JSON.")
        }
    }

    @Test func aMissingOrMistypedFieldIsA422NamingIt() async throws {
        try await TestServer.withServer { _, client in
            let missing = try await client.execute(uri: "/v1/echo", method: .post, body: ByteBuffer(string: #"{"name": "x"}"#))
            #expect(missing.status == .unprocessableContent)
            #expect(try Self.problem(missing).errors == [.init(field: "repeat_count", message: "is required")])
            let mistyped = try await client.execute(uri: "/v1/echo", method: .post, body: ByteBuffer(string: #"{"name": 3, "repeat_count": 1}"#))
            #expect(mistyped.status == .unprocessableContent)
            #expect(try Self.problem(mistyped).detail == "Field name must be a string.")
            let array = try await client.execute(uri: "/v1/echo", method: .post, body: ByteBuffer(string: "[1]"))
            #expect(array.status == .badRequest)
            let invalid = try await client.execute(uri: "/v1/echo", method: .post, body: ByteBuffer(string: #"{"name": "x", "repeat_count": 99}"#))
            #expect(invalid.status == .unprocessableContent)
            let ok = try await client.execute(uri: "/v1/echo", method: .post, body: ByteBuffer(string: #"{"name": "x", "repeat_count": 2}"#))
            #expect(ok.status == .ok)
            #expect(String(buffer: ok.body) == #"{"name":"x","repeat_count":2}"#)
        }
    }

    @Test func anOversizedBodyIsA413Problem() async throws {
        try await TestServer.withServer { _, client in
            let body = ByteBuffer(repeating: UInt8(ascii: " "), count: 2 << 20)
            let response = try await client.execute(uri: "/v1/echo", method: .post, body: body)
            #expect(response.status == .contentTooLarge)
            #expect(try Self.problem(response).status == 413)
        }
    }

    @Test func anUnexpectedErrorIsA500ThatNamesTheRequestAndIsLogged() async throws {
        let lines = LogLines()
        try await TestServer.withServer(logSink: lines.sink) { _, client in
            let response = try await client.execute(uri: "/v1/boom", method: .get, headers: [.init("X-Request-ID")!: "req-42"])
            #expect(response.status == .internalServerError)
            let body = try Self.problem(response)
            #expect(body.requestId == "req-42")
            #expect(body.detail?.contains("req-42") == true)
            #expect(body.detail?.contains("Unexpected") == false)
        }
        let logged = lines.all.first { $0.contains("unexpected error") }
        #expect(logged?.contains(#""request_id":"req-42""#) == true)
        #expect(logged?.contains("Unexpected") == true)
    }
}

@Suite struct NULCharacterTests {
    @Test(arguments: DatabaseEngine.allCases)
    func aNULInADecodedFieldIsA422OnBothEngines(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { _, client in
            let refused = try await client.json("/v1/echo", .post, body: #"{"name":"a\u0000b","repeat_count":1}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.decoded(ProblemResponseTests.ProblemBody.self).errors == [.init(field: "name", message: "contains NUL")])
            // An unknown member is ignored, NUL or not.
            let ignored = try await client.json("/v1/echo", .post, body: #"{"name":"ab","repeat_count":1,"x\u0000":"\u0000"}"#)
            #expect(ignored.status == .ok)
        }
    }

    @Test func onlyABodyWithTheEscapeInAStringIsWalkedForNUL() {
        func scan(_ text: String) -> Bool { JSONBodyShape(scanning: ByteBuffer(string: text)).mayContainNUL }
        #expect(scan(#"{"name":"a\u0000b"}"#))
        #expect(scan(#"["\u0000"]"#))
        // An escaped backslash before u0000 is a backslash and text, no NUL.
        #expect(!scan(#"{"name":"\\u0000"}"#))
        #expect(scan(#"{"name":"\\\u0000"}"#))
        #expect(!scan(#"{"name":"a\u0001b","n":0000}"#))
        #expect(!scan(#""\u000""#))
        #expect(!scan(""))
        // Any zero byte: the same text in UTF-16 spreads the escape out, and a raw NUL is NUL.
        let utf16 = Array(#"{"name":"a\u0000b"}"#.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(JSONBodyShape(scanning: ByteBuffer(bytes: utf16)).mayContainNUL)
        #expect(JSONBodyShape(scanning: ByteBuffer(bytes: [0x7B, 0x00, 0x7D])).mayContainNUL)
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aBodyInUTF16OrUTF32IsA400(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { _, client in
            // With a NUL, and nested past the limit behind a character whose UTF-16 holds a quote
            // byte (U+2200 is 00 22): neither gets past the UTF-8 check.
            let deep = "{\"name\":\"\u{2200}\",\"repeat_count\":1,\"pad\":" + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}"
            for text in [#"{"name":"a\u0000b","repeat_count":1}"#, deep] {
                let littleEndian: [UInt8] = Array(text.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
                let bigEndian: [UInt8] = Array(text.utf16).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
                for bytes in [[0xFF, 0xFE] + littleEndian, littleEndian, bigEndian] {
                    let refused = try await client.execute(uri: "/v1/echo", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: bytes))
                    #expect(refused.status == .badRequest, "\(String(buffer: refused.body))")
                }
            }
        }
    }
}
