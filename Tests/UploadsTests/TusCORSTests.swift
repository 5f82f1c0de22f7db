import ApusCore
import ApusTesting
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import Uploads

@Suite struct TusCORSTests {
    @Test func tusDiscoveryKeepsItsAnswerWhileAPreflightOfTheSamePathGetsCORS() async throws {
        try await TestServer.withNode(modules: [UploadsModule()], configure: { $0.cors = (try? CORSPolicy.parse("https://app.example.com")) ?? .disabled }) { server, client in
            let discovery = try await client.execute(uri: "/v1/uploads", method: .options, headers: [.origin: "https://app.example.com"])
            #expect(discovery.status == .noContent)
            #expect(discovery.headers[.tusVersion] == "1.0.0")
            #expect(discovery.headers[.tusExtension]?.contains("creation") == true)
            #expect(discovery.headers[.accessControlAllowOrigin] == "https://app.example.com")
            let preflight = try await client.execute(uri: "/v1/uploads", method: .options, headers: [
                .origin: "https://app.example.com", .accessControlRequestMethod: "POST",
                .accessControlRequestHeaders: "tus-resumable, upload-length, upload-metadata",
            ])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.tusVersion] == nil, "a preflight is CORS's, not tus's")
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Upload-Metadata") == true)

            // A creation from the page exposes Location and the tus headers.
            let ada = try await client.signedIn("ada@example.com", server: server)
            var headers = UploadsTest.tus
            headers[.authorization] = "Bearer \(ada.accessToken)"
            headers[.origin] = "https://app.example.com"
            headers[.uploadLength] = "3"
            let created = try await client.execute(uri: "/v1/uploads", method: .post, headers: headers)
            #expect(created.status == .created)
            #expect(created.headers[.accessControlAllowOrigin] == "https://app.example.com")
            #expect(created.headers[.accessControlExposeHeaders]?.contains("Location") == true)
            #expect(created.headers[.accessControlExposeHeaders]?.contains("Upload-Offset") == true)
        }
    }
}
