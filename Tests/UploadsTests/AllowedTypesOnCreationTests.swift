@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import Uploads

@Suite struct AllowedTypesOnCreationTests {
    static func metadata(_ type: String) -> HTTPFields {
        [.uploadMetadata: "filename eA==,filetype " + Data(type.utf8).base64EncodedString()]
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aTypeNotAllowedIsRefusedWith415AndNothingIsStored(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine, settings: ["APUS_UPLOADS_ALLOWED_TYPES": "image/*,application/pdf"]) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            for refused in [Self.metadata("text/html"), [.uploadMetadata: "filename eA=="], [:]] {
                var headers = refused
                headers[.uploadLength] = "5"
                let response = try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: headers)
                #expect(response.status == .unsupportedMediaType)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(response.headers[.tusResumable] == "1.0.0")
            }
            // creation-with-upload: the body is not taken either.
            var headers = Self.metadata("application/zip")
            headers[.uploadLength] = "3"
            headers[.contentType] = "application/offset+octet-stream"
            let withBody = try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: headers, body: [1, 2, 3])
            #expect(withBody.status == .unsupportedMediaType)
            let rows = try await server.platform.database.read { connection in
                try await connection.raw("SELECT COUNT(*) AS n FROM uploads_uploads").first()?.decode(column: "n", as: Int.self)
            }
            #expect(rows == 0)
            #expect(try await server.platform.objects.list(prefix: "uploads/").isEmpty)

            _ = try await client.createUpload(token: ada.accessToken, length: 5, headers: Self.metadata("image/webp"))
            _ = try await client.createUpload(token: ada.accessToken, length: 5, headers: Self.metadata("Application/PDF"))
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func partialUploadsCarryNoTypeAndTheFinalOneIsChecked(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine, settings: ["APUS_UPLOADS_ALLOWED_TYPES": "video/*"]) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let part = try await client.createUpload(token: ada.accessToken, length: 2, headers: [.uploadConcat: "partial"])
            #expect(try await client.patchChunk(part, token: ada.accessToken, offset: 0, [1, 2]).status == .noContent)
            var headers = Self.metadata("text/html")
            headers[.uploadConcat] = "final;\(part)"
            #expect(try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: headers).status == .unsupportedMediaType)
            headers = Self.metadata("video/mp4")
            headers[.uploadConcat] = "final;\(part)"
            #expect(try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: headers).status == .created)
        }
    }
}
