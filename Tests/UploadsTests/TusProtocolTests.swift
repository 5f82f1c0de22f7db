@_spi(Platform) import ApusCore
import ApusTesting
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Uploads

@Suite struct TusProtocolTests {
    @Test func optionsAdvertisesTheVersionExtensionsAndLimitsWithoutCredentials() async throws {
        try await UploadsTest.withNode(settings: ["APUS_UPLOADS_MAX_SIZE": "1000000"]) { _, client in
            let response = try await client.execute(uri: "/v1/uploads", method: .options)
            #expect(response.status == .noContent)
            #expect(response.headers[.tusVersion] == "1.0.0")
            #expect(response.headers[.tusMaxSize] == "1000000")
            #expect(response.headers[.tusChecksumAlgorithm] == "sha1,sha256,md5")
            let extensions = Set((response.headers[.tusExtension] ?? "").split(separator: ","))
            #expect(extensions == ["creation", "creation-with-upload", "creation-defer-length", "expiration", "checksum", "termination", "concatenation", "concatenation-unfinished"])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func anUploadInChunksCompletesWithItsSHA256(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let path = try await client.createUpload(token: ada.accessToken, length: bytes.count, headers: [.uploadMetadata: "filename YS5iaW4=,private"])
            #expect(path.hasPrefix("/v1/uploads/upl_"))
            var head = try await client.tus(path, .head, token: ada.accessToken)
            #expect(head.status == .ok)
            #expect(head.headers[.uploadOffset] == "0")
            #expect(head.headers[.uploadLength] == "100000")
            #expect(head.headers[.uploadMetadata] == "filename YS5iaW4=,private")
            #expect(head.headers[.cacheControl] == "no-store")
            #expect(head.headers[.tusResumable] == "1.0.0")
            #expect(head.headers[.uploadExpires]?.hasSuffix(" GMT") == true)
            let first = try await client.patchChunk(path, token: ada.accessToken, offset: 0, Array(bytes[..<40_000]))
            #expect(first.status == .noContent)
            #expect(first.headers[.uploadOffset] == "40000")
            #expect(first.headers[.tusResumable] == "1.0.0")
            #expect(first.headers[.uploadExpires] != nil)
            let last = try await client.patchChunk(path, token: ada.accessToken, offset: 40_000, Array(bytes[40_000...]))
            #expect(last.status == .noContent)
            #expect(last.headers[.uploadOffset] == "100000")
            #expect(last.headers[.uploadExpires] == nil, "a finished upload does not expire")
            head = try await client.tus(path, .head, token: ada.accessToken)
            #expect(head.headers[.uploadOffset] == "100000")
            // The bytes and the SHA-256 the server computed chunk by chunk.
            let key = try #require(ObjectKey("uploads/" + path.split(separator: "/").last!))
            var stored: [UInt8] = []
            try await server.platform.objects.read(key, range: nil) { stored += $0.readableBytesView }
            #expect(stored == bytes)
            let sha = try await server.platform.database.read { connection in
                try await connection.raw("SELECT sha256 FROM uploads_uploads").first()?.decode(column: "sha256", as: String.self)
            }
            #expect(sha == UploadsTest.sha256(bytes))
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func protocolErrorsGetTheirTusStatuses(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine, settings: ["APUS_UPLOADS_MAX_SIZE": "1000"]) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let path = try await client.createUpload(token: ada.accessToken, length: 10)
            // 412: another protocol version, or none.
            var response = try await client.execute(uri: path, method: .head, headers: [.authorization: "Bearer \(ada.accessToken)", .tusResumable: "0.2.2"])
            #expect(response.status == .preconditionFailed)
            #expect(response.headers[.tusVersion] == "1.0.0")
            response = try await client.execute(uri: "/v1/uploads", method: .post, headers: [.authorization: "Bearer \(ada.accessToken)", .uploadLength: "1"])
            #expect(response.status == .preconditionFailed)
            // 415: a chunk in another content type.
            response = try await client.tus(path, .patch, token: ada.accessToken, headers: [.contentType: "application/json", .uploadOffset: "0"], body: [1])
            #expect(response.status == .unsupportedMediaType)
            #expect(response.headers[.contentType] == "application/problem+json")
            // 409: the wrong offset.
            response = try await client.patchChunk(path, token: ada.accessToken, offset: 3, [1])
            #expect(response.status == .conflict)
            // 400: no offset, a bad length, an unknown checksum algorithm, bad metadata.
            response = try await client.tus(path, .patch, token: ada.accessToken, headers: [.contentType: "application/offset+octet-stream"], body: [1])
            #expect(response.status == .badRequest)
            response = try await client.patchChunk(path, token: ada.accessToken, offset: 0, [1], headers: [.uploadChecksum: "crc32 AAAAAA=="])
            #expect(response.status == .badRequest)
            for headers: HTTPFields in [[:], [.uploadLength: "-1"], [.uploadLength: "1", .uploadDeferLength: "1"], [.uploadDeferLength: "2"],
                                        [.uploadLength: "1", .uploadMetadata: "a YQ==,a YQ=="]] {
                response = try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: headers)
                #expect(response.status == .badRequest, "\(headers)")
            }
            // 413: over the maximum, at creation or by the bytes sent.
            response = try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: [.uploadLength: "1001"])
            #expect(response.status == .contentTooLarge)
            response = try await client.patchChunk(path, token: ada.accessToken, offset: 0, [UInt8](repeating: 1, count: 11))
            #expect(response.status == .contentTooLarge)
            // 404: no such upload, a malformed id, or someone else's.
            let eve = try await client.signedIn("eve@example.com", server: server)
            #expect(try await client.tus(path, .head, token: eve.accessToken).status == .notFound)
            #expect(try await client.patchChunk(path, token: eve.accessToken, offset: 0, [1]).status == .notFound)
            #expect(try await client.tus(path, .delete, token: eve.accessToken).status == .notFound)
            #expect(try await client.tus("/v1/uploads/upl_nope", .head, token: ada.accessToken).status == .notFound)
            #expect(try await client.tus("/v1/uploads/..%2F..%2Fetc", .head, token: ada.accessToken).status == .notFound)
            // An admin may see it.
            let root = try await client.signedIn("root@example.com", roles: [.admin], server: server)
            #expect(try await client.tus(path, .head, token: root.accessToken).status == .ok)
            // 401 on every route without a token, or with a wrong one.
            for (uri, method) in [("/v1/uploads", HTTPRequest.Method.post), (path, .head), (path, .patch), (path, .delete), (path, .post)] {
                #expect(try await client.tus(uri, method, token: nil).status == .unauthorized)
                #expect(try await client.tus(uri, method, token: "not-a-token").status == .unauthorized)
            }
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func checksumsAreCheckedAndAMismatchDiscardsTheChunk(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let path = try await client.createUpload(token: ada.accessToken, length: 9)
            let chunk: [UInt8] = Array("abc".utf8)
            let sha1 = Data(Insecure.SHA1.hash(data: chunk)).base64EncodedString()
            let md5 = Data(Insecure.MD5.hash(data: chunk)).base64EncodedString()
            let sha256 = Data(SHA256.hash(data: chunk)).base64EncodedString()
            var response = try await client.patchChunk(path, token: ada.accessToken, offset: 0, chunk, headers: [.uploadChecksum: "sha1 \(sha1)"])
            #expect(response.status == .noContent)
            response = try await client.patchChunk(path, token: ada.accessToken, offset: 3, chunk, headers: [.uploadChecksum: "sha1 \(md5)"])
            #expect(response.status.code == 460)
            #expect(try await client.tus(path, .head, token: ada.accessToken).headers[.uploadOffset] == "3")
            response = try await client.patchChunk(path, token: ada.accessToken, offset: 3, chunk, headers: [.uploadChecksum: "md5 \(md5)"])
            #expect(response.headers[.uploadOffset] == "6")
            response = try await client.patchChunk(path, token: ada.accessToken, offset: 6, chunk, headers: [.uploadChecksum: "sha256 \(sha256)"])
            #expect(response.headers[.uploadOffset] == "9")
            let sha = try await server.platform.database.read { connection in
                try await connection.raw("SELECT sha256 FROM uploads_uploads").first()?.decode(column: "sha256", as: String.self)
            }
            #expect(sha == UploadsTest.sha256(Array("abcabcabc".utf8)))
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func creationWithUploadAndADeferredLength(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            var response = try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: [
                .uploadDeferLength: "1", .contentType: "application/offset+octet-stream",
            ], body: [1, 2, 3])
            #expect(response.status == .created)
            #expect(response.headers[.uploadOffset] == "3")
            let path = try #require(response.headers[.location])
            var head = try await client.tus(path, .head, token: ada.accessToken)
            #expect(head.headers[.uploadDeferLength] == "1")
            #expect(head.headers[.uploadLength] == nil)
            response = try await client.patchChunk(path, token: ada.accessToken, offset: 3, [4, 5], headers: [.uploadLength: "5"])
            #expect(response.status == .noContent)
            #expect(response.headers[.uploadOffset] == "5")
            head = try await client.tus(path, .head, token: ada.accessToken)
            #expect(head.headers[.uploadLength] == "5")
            #expect(head.headers[.uploadExpires] == nil)
            // The length, once set, stays.
            response = try await client.patchChunk(path, token: ada.accessToken, offset: 5, [], headers: [.uploadLength: "6"])
            #expect(response.status == .badRequest)
            // An empty upload is complete at once.
            let empty = try await client.createUpload(token: ada.accessToken, length: 0, headers: [.uploadMetadata: ""])
            #expect(try await client.tus(empty, .head, token: ada.accessToken).headers[.uploadMetadata] == nil)
            #expect(try await client.tus(empty, .head, token: ada.accessToken).headers[.uploadOffset] == "0")
            #expect(try await client.tus(empty, .head, token: ada.accessToken).headers[.uploadExpires] == nil)
            // Bytes sent with an upload of no bytes go past its length: refused, nothing created.
            let before = try await server.platform.objects.list(prefix: "uploads").count
            response = try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: [
                .uploadLength: "0", .contentType: "application/offset+octet-stream",
            ], body: [1])
            #expect(response.status == .contentTooLarge)
            #expect(try await server.platform.objects.list(prefix: "uploads").count == before)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func terminationRemovesTheUploadAndItsBytes(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let path = try await client.createUpload(token: ada.accessToken, length: 4)
            _ = try await client.patchChunk(path, token: ada.accessToken, offset: 0, [1, 2])
            #expect(try await client.tus(path, .delete, token: ada.accessToken).status == .noContent)
            #expect(try await client.tus(path, .head, token: ada.accessToken).status == .notFound)
            #expect(try await client.patchChunk(path, token: ada.accessToken, offset: 2, [3]).status == .notFound)
            let finished = try await client.createUpload(token: ada.accessToken, length: 1)
            _ = try await client.patchChunk(finished, token: ada.accessToken, offset: 0, [1])
            #expect(try await client.tus(finished, .delete, token: ada.accessToken).status == .noContent)
            #expect(try await server.platform.objects.list(prefix: "uploads").isEmpty)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aUsersUploadsStayWithinTheQuota(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine, settings: ["APUS_UPLOADS_QUOTA": "10"]) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            _ = try await client.createUpload(token: ada.accessToken, length: 6)
            #expect(try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: [.uploadLength: "5"]).status == .contentTooLarge)
            let deferred = try await client.createUpload(token: ada.accessToken, length: nil)
            #expect(try await client.patchChunk(deferred, token: ada.accessToken, offset: 0, [1], headers: [.uploadLength: "5"]).status == .contentTooLarge)
            #expect(try await client.patchChunk(deferred, token: ada.accessToken, offset: 0, [1], headers: [.uploadLength: "4"]).status == .noContent)
            // Another user has a quota of their own.
            let eve = try await client.signedIn("eve@example.com", server: server)
            _ = try await client.createUpload(token: eve.accessToken, length: 10)
        }
    }

    @Test func methodOverrideCarriesPatchHeadAndDeleteOverPost() async throws {
        try await UploadsTest.withNode { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let path = try await client.createUpload(token: ada.accessToken, length: 2)
            var response = try await client.tus(path, .post, token: ada.accessToken, headers: [
                .methodOverride: "PATCH", .contentType: "application/offset+octet-stream", .uploadOffset: "0",
            ], body: [1])
            #expect(response.status == .noContent)
            response = try await client.tus(path, .post, token: ada.accessToken, headers: [.methodOverride: "HEAD"])
            #expect(response.headers[.uploadOffset] == "1")
            response = try await client.tus(path, .post, token: ada.accessToken, headers: [.methodOverride: "DELETE"])
            #expect(response.status == .noContent)
            #expect(try await client.tus(path, .head, token: ada.accessToken).status == .notFound)
            #expect(try await client.tus(path, .post, token: ada.accessToken).status == .methodNotAllowed)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func anExpiredUploadIsGoneAndTheSweepRemovesItsBytes(engine: DatabaseEngine) async throws {
        let clock = TestClock()
        try await UploadsTest.withNode(engine: engine, clock: clock, settings: ["APUS_UPLOADS_EXPIRY": "60"]) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let path = try await client.createUpload(token: ada.accessToken, length: 4)
            _ = try await client.patchChunk(path, token: ada.accessToken, offset: 0, [1, 2])
            let done = try await client.createUpload(token: ada.accessToken, length: 1)
            _ = try await client.patchChunk(done, token: ada.accessToken, offset: 0, [1])
            clock.advance(by: 61)
            #expect(try await client.tus(path, .head, token: ada.accessToken).status == .gone)
            #expect(try await client.patchChunk(path, token: ada.accessToken, offset: 2, [3]).status == .gone)
            // A finished upload never expires.
            #expect(try await client.tus(done, .head, token: ada.accessToken).status == .ok)
            // The node's own sweep runs on the same clock, so it may get there first: either one
            // removes the upload, and only that one.
            let sweep = UploadsService(platform: server.platform, settings: try UploadsSettings(server.platform.settings))
            try await expectEventually {
                _ = try await sweep.removeExpired()
                return try await client.tus(path, .head, token: ada.accessToken).status == .notFound
            }
            #expect(try await sweep.removeExpired() == 0)
            #expect(try await client.tus(done, .head, token: ada.accessToken).status == .ok)
            try await expectEventually { try await server.platform.objects.list(prefix: "uploads").count == 1 }
        }
    }
}

@Suite struct UploadPlatformTests {
    @Test func aStreamedCreationIsNeitherBufferedNorReplayedByIdempotency() async throws {
        try await UploadsTest.withNode { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            // Larger than any JSON body the platform would read whole.
            let bytes = [UInt8](repeating: 7, count: 3 << 20)
            var locations: [String] = []
            for _ in 0..<2 {
                let response = try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: [
                    .uploadLength: String(bytes.count), .contentType: "application/offset+octet-stream", HTTPField.Name("Idempotency-Key")!: "same-key",
                ], body: bytes)
                #expect(response.status == .created)
                #expect(response.headers[.uploadOffset] == String(bytes.count))
                #expect(response.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
                locations.append(try #require(response.headers[.location]))
            }
            #expect(locations[0] != locations[1])
        }
    }

    @Test func aUsersUploadsGoWithTheUser() async throws {
        try await UploadsTest.withNode(live: true) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let path = try await client.createUpload(token: ada.accessToken, length: 1)
            _ = try await client.patchChunk(path, token: ada.accessToken, offset: 0, [1])
            #expect(try await server.platform.objects.list(prefix: "uploads").count == 1)
            let user = try #require(try await server.identity.users.find(email: "ada@example.com"))
            _ = try await server.identity.deleteUser(id: user.id)
            // The consumer runs after the deletion commits, on the dispatcher's task: wait for it (10 s at most).
            try await expectEventually(10) { try await server.platform.read({ try await $0.raw("SELECT id FROM uploads_uploads").all() }).isEmpty }
            // The bytes go by the job the consumer's transaction enqueued.
            #expect(try await eventually { try await server.platform.objects.list(prefix: "uploads").isEmpty })
        }
    }
}
