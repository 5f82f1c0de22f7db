import ApusCore
import ApusTesting
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct CORSTests {
    static func withNode(origins: String?, _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
        try await TestServer.withNode(modules: [], configure: { configuration in
            if let origins { configuration.cors = (try? CORSPolicy.parse(origins)) ?? .disabled }
        }) { _, client in try await body(client) }
    }

    static let preflight: HTTPFields = [
        .origin: "https://app.example.com", .accessControlRequestMethod: "POST",
        .accessControlRequestHeaders: "authorization, content-type",
    ]

    @Test func aPreflightFromAListedOriginIsAnsweredBeforeAuthentication() async throws {
        try await Self.withNode(origins: "https://app.example.com") { client in
            var headers = Self.preflight
            headers[.authorization] = "Bearer not-a-token"
            let response = try await client.execute(uri: "/v1/auth/login", method: .options, headers: headers)
            #expect(response.status == .noContent)
            #expect(response.headers[.accessControlAllowOrigin] == "https://app.example.com")
            #expect(response.headers[.accessControlAllowMethods]?.contains("PATCH") == true)
            let allowed = Set((response.headers[.accessControlAllowHeaders] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            for header in ["Authorization", "Content-Type", "Idempotency-Key", "Tus-Resumable", "Upload-Length", "Upload-Offset", "Upload-Metadata",
                           "Upload-Checksum", "Upload-Concat", "Upload-Defer-Length", "X-HTTP-Method-Override"] {
                #expect(allowed.contains(header), "\(header)")
            }
            #expect(response.headers[.accessControlMaxAge] != nil)
            #expect(response.headers[.accessControlAllowCredentials] == nil)
        }
    }

    @Test func anAnswerToAListedOriginLetsThePageReadIt() async throws {
        try await Self.withNode(origins: "https://app.example.com, http://localhost:5173") { client in
            let response = try await client.execute(uri: "/health/live", method: .get, headers: [.origin: "http://localhost:5173"])
            #expect(response.headers[.accessControlAllowOrigin] == "http://localhost:5173")
            #expect(response.headers[values: .vary].contains("Origin"))
            let exposed = Set((response.headers[.accessControlExposeHeaders] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(exposed.isSuperset(of: ["Location", "Upload-Offset", "Upload-Length", "Upload-Expires", "Tus-Resumable", "ETag", "Content-Range"]))
            // A problem, too, so the page can read why.
            let problem = try await client.execute(uri: "/v1/users", method: .get, headers: [.origin: "https://app.example.com"])
            #expect(problem.status == .unauthorized)
            #expect(problem.headers[.accessControlAllowOrigin] == "https://app.example.com")
        }
    }

    @Test func anOriginNotListedGetsNoCORSHeaders() async throws {
        try await Self.withNode(origins: "https://app.example.com") { client in
            var headers = Self.preflight
            headers[.origin] = "https://evil.example"
            let preflight = try await client.execute(uri: "/v1/auth/login", method: .options, headers: headers)
            #expect(preflight.headers[.accessControlAllowOrigin] == nil)
            let response = try await client.execute(uri: "/health/live", method: .get, headers: [.origin: "https://evil.example"])
            #expect(response.status == .ok)
            #expect(response.headers[.accessControlAllowOrigin] == nil)
            #expect(response.headers[.accessControlExposeHeaders] == nil)
        }
    }

    @Test func withoutTheSettingNoAnswerCarriesCORSHeaders() async throws {
        try await Self.withNode(origins: nil) { client in
            let preflight = try await client.execute(uri: "/v1/auth/login", method: .options, headers: Self.preflight)
            #expect(preflight.headers[.accessControlAllowOrigin] == nil)
            let response = try await client.execute(uri: "/health/live", method: .get, headers: [.origin: "https://app.example.com"])
            #expect(response.headers[.accessControlAllowOrigin] == nil)
            #expect(response.headers[.vary] == nil)
        }
    }

    @Test func everyOriginWithAStar() async throws {
        try await Self.withNode(origins: "*") { client in
            let response = try await client.execute(uri: "/v1/auth/login", method: .options, headers: Self.preflight)
            #expect(response.status == .noContent)
            #expect(response.headers[.accessControlAllowOrigin] == "https://app.example.com")
        }
    }
}
