import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Uploads

@Suite struct FileRoutesTests {
    static let bytes = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }

    /// A finished upload of ``bytes`` with `metadata`; its file path.
    static func finished(_ client: any TestClientProtocol, token: String, metadata: String = "filename YS5iaW4=,filetype aW1hZ2UvcG5n") async throws -> String {
        let path = try await client.createUpload(token: token, length: bytes.count, headers: [.uploadMetadata: metadata])
        let response = try await client.patchChunk(path, token: token, offset: 0, bytes)
        guard response.status == .noContent else { throw UploadTestFailure(message: "the chunk answered \(response.status)") }
        return "/v1/files/" + path.split(separator: "/").last!
    }

    static func get(_ client: any TestClientProtocol, _ path: String, token: String?, method: HTTPRequest.Method = .get, headers: HTTPFields = [:]) async throws -> TestResponse {
        var all = headers
        if let token { all[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: path, method: method, headers: all)
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aFinishedFileIsServedWithItsTypeETagAndSafeHeaders(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let file = try await Self.finished(client, token: ada.accessToken)
            let response = try await Self.get(client, file, token: ada.accessToken)
            #expect(response.status == .ok)
            #expect(Array(response.body.readableBytesView) == Self.bytes)
            #expect(response.headers[.contentType] == "image/png")
            #expect(response.headers[.contentLength] == "50000")
            #expect(response.headers[.eTag] == "\"\(UploadsTest.sha256(Self.bytes))\"")
            #expect(response.headers[.acceptRanges] == "bytes")
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            #expect(response.headers[.contentDisposition] == #"inline; filename="a.bin"; filename*=UTF-8''a.bin"#)
            #expect(response.headers[.cacheControl] == "private, no-cache")
            let head = try await Self.get(client, file, token: ada.accessToken, method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.contentLength] == "50000")
            #expect(head.headers[.eTag] == response.headers[.eTag])
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func htmlIsAnAttachmentAndNoTypeIsOctetStream(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let html = try await Self.finished(client, token: ada.accessToken, metadata: "filetype dGV4dC9odG1s")
            var response = try await Self.get(client, html, token: ada.accessToken)
            #expect(response.headers[.contentType] == "text/html")
            #expect(response.headers[.contentDisposition] == "attachment")
            #expect(response.headers[.contentSecurityPolicy] == "default-src 'none'; sandbox")
            let plain = try await Self.finished(client, token: ada.accessToken, metadata: "name eA==")
            response = try await Self.get(client, plain, token: ada.accessToken)
            #expect(response.headers[.contentType] == "application/octet-stream")
            #expect(response.headers[.contentDisposition] == "attachment")
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func rangesConditionsAndTheirStatuses(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let file = try await Self.finished(client, token: ada.accessToken)
            let tag = "\"\(UploadsTest.sha256(Self.bytes))\""
            for (header, range) in [("bytes=10-19", 10..<20), ("bytes=49990-", 49_990..<50_000), ("bytes=-5", 49_995..<50_000)] {
                let response = try await Self.get(client, file, token: ada.accessToken, headers: [.range: header])
                #expect(response.status == .partialContent, "\(header)")
                #expect(Array(response.body.readableBytesView) == Array(Self.bytes[range]))
                #expect(response.headers[.contentRange] == "bytes \(range.lowerBound)-\(range.upperBound - 1)/50000")
                #expect(response.headers[.contentLength] == String(range.count))
            }
            var response = try await Self.get(client, file, token: ada.accessToken, headers: [.range: "bytes=50000-"])
            #expect(response.status == .rangeNotSatisfiable)
            #expect(response.headers[.contentRange] == "bytes */50000")
            #expect(response.headers[.contentType] == "application/problem+json")
            response = try await Self.get(client, file, token: ada.accessToken, headers: [.range: "bytes=0-1,5-6"])
            #expect(response.status == .ok, "several ranges get the whole file")
            #expect(response.body.readableBytes == 50_000)
            response = try await Self.get(client, file, token: ada.accessToken, headers: [.ifNoneMatch: tag])
            #expect(response.status == .notModified)
            #expect(response.body.readableBytes == 0)
            #expect(response.headers[.eTag] == tag)
            response = try await Self.get(client, file, token: ada.accessToken, headers: [.ifNoneMatch: "\"other\""])
            #expect(response.status == .ok)
            response = try await Self.get(client, file, token: ada.accessToken, headers: [.range: "bytes=0-0", .ifRange: "\"stale\""])
            #expect(response.status == .ok, "a stale If-Range gets the whole file")
            response = try await Self.get(client, file, token: ada.accessToken, headers: [.range: "bytes=0-0", .ifRange: tag])
            #expect(response.status == .partialContent)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func whoMayReadAFile(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let bob = try await client.signedIn("bob@example.com", server: server)
            let admin = try await client.signedIn("root@example.com", roles: [.admin], server: server)
            let file = try await Self.finished(client, token: ada.accessToken)
            #expect(try await Self.get(client, file, token: nil).status == .unauthorized)
            #expect(try await Self.get(client, file, token: "not-a-token").status == .unauthorized)
            #expect(try await Self.get(client, file, token: bob.accessToken).status == .notFound)
            #expect(try await Self.get(client, "/v1/files/upl_missing", token: bob.accessToken).status == .notFound)
            #expect(try await Self.get(client, "/v1/files/..%2Fetc", token: bob.accessToken).status == .notFound)
            #expect(try await Self.get(client, file, token: admin.accessToken).status == .ok)
            // An unfinished upload is no file.
            let unfinished = try await client.createUpload(token: ada.accessToken, length: 10)
            let unfinishedFile = "/v1/files/" + unfinished.split(separator: "/").last!
            #expect(try await Self.get(client, unfinishedFile, token: ada.accessToken).status == .notFound)
            #expect(try await client.json(unfinishedFile, .patch, token: ada.accessToken, body: #"{"public": true}"#).status == .notFound)

            // Public: anyone reads it, without credentials; only the owner (or an admin) says so.
            #expect(try await client.json(file, .patch, token: bob.accessToken, body: #"{"public": true}"#).status == .notFound)
            var patched = try await client.json(file, .patch, token: ada.accessToken, body: #"{"public": true}"#)
            #expect(patched.status == .ok)
            #expect(try patched.decoded(FileJSON.self).public == true)
            var anonymous = try await Self.get(client, file, token: nil)
            #expect(anonymous.status == .ok)
            #expect(anonymous.headers[.cacheControl] == "no-cache")
            #expect(try await Self.get(client, file, token: bob.accessToken).status == .ok)
            patched = try await client.json(file, .patch, token: ada.accessToken, body: #"{"public": false}"#)
            #expect(try patched.decoded(FileJSON.self).public == false)
            anonymous = try await Self.get(client, file, token: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(try await client.json(file, .patch, token: ada.accessToken, body: #"{"public": "yes"}"#).status == .unprocessableContent)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func theListPagesThroughFinishedFilesOnly(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let bob = try await client.signedIn("bob@example.com", server: server)
            let admin = try await client.signedIn("root@example.com", roles: [.admin], server: server)
            var files: [String] = []
            for _ in 0..<3 { files.append(try await Self.finished(client, token: ada.accessToken)) }
            _ = try await client.createUpload(token: ada.accessToken, length: 10)
            _ = try await Self.finished(client, token: bob.accessToken)
            var seen: [FileJSON] = []
            var cursor: String?
            repeat {
                let page = try await client.json("/v1/files?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), .get, token: ada.accessToken).decoded(FilePage.self)
                seen += page.items
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen.map(\.url) == files)
            #expect(seen.allSatisfy { $0.length == 50_000 && $0.sha256 == UploadsTest.sha256(Self.bytes) && $0.contentType == "image/png" && $0.filename == "a.bin" })
            let all = try await client.json("/v1/files", .get, token: admin.accessToken).decoded(FilePage.self)
            #expect(all.items.count == 4)
            #expect(try await client.json("/v1/files", .get).status == .unauthorized)
            #expect(try await client.json("/v1/files?cursor=../x", .get, token: ada.accessToken).status == .badRequest)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func deletingAFileRemovesItAndItsBytes(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let bob = try await client.signedIn("bob@example.com", server: server)
            let file = try await Self.finished(client, token: ada.accessToken)
            #expect(try await client.json(file, .delete, token: bob.accessToken).status == .notFound)
            #expect(try await client.json(file, .delete, token: ada.accessToken).status == .noContent)
            #expect(try await Self.get(client, file, token: ada.accessToken).status == .notFound)
            let key = try #require(ObjectKey("uploads/" + file.split(separator: "/").last!))
            #expect(try await server.platform.objects.size(of: key) == nil)
        }
    }
}

struct FileJSON: Decodable {
    var id: String
    var url: String
    var length: Int64
    var sha256: String
    var contentType: String
    var filename: String?
    var `public`: Bool
}

struct FilePage: Decodable {
    var items: [FileJSON]
    var nextCursor: String?
}
