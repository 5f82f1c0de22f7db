@_spi(Platform) import ApusCore
import ApusTesting
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Uploads

/// The tus flow with the bytes in an S3-compatible store (moto's server, started here).
@Suite struct UploadsOnS3Tests {
    @Test(arguments: DatabaseEngine.allCases)
    func chunksChecksumsConcatenationAndTerminationOnS3(engine: DatabaseEngine) async throws {
        try await MotoServer.withBucket { location in
            try await UploadsTest.withNode(engine: engine, objectStore: location) { server, client in
                let ada = try await client.signedIn("ada@example.com", server: server)
                // Chunks that are not multiples of S3's part size.
                let bytes = (0..<(11 << 20 + 5)).map { UInt8(truncatingIfNeeded: $0 &* 17) }
                let path = try await client.createUpload(token: ada.accessToken, length: bytes.count)
                var offset = 0
                for size in [3 << 20, 7 << 20, 1 << 20 + 5] {
                    let response = try await client.patchChunk(path, token: ada.accessToken, offset: offset, Array(bytes[offset..<(offset + size)]))
                    #expect(response.status == .noContent)
                    offset += size
                }
                let key = try #require(ObjectKey("uploads/" + path.split(separator: "/").last!))
                var stored: [UInt8] = []
                try await server.platform.objects.read(key, range: nil) { stored += $0.readableBytesView }
                #expect(stored == bytes)
                let sha = try await server.platform.database.read { connection in
                    try await connection.raw("SELECT sha256 FROM uploads_uploads").first()?.decode(column: "sha256", as: String.self)
                }
                #expect(sha == UploadsTest.sha256(bytes))

                // A forged checksum: 460, and the next honest chunk continues from the same offset.
                let other = try await client.createUpload(token: ada.accessToken, length: 6)
                _ = try await client.patchChunk(other, token: ada.accessToken, offset: 0, [1, 2, 3])
                let forged = Data(Insecure.SHA1.hash(data: [9, 9, 9] as [UInt8])).base64EncodedString()
                #expect(try await client.patchChunk(other, token: ada.accessToken, offset: 3, [4, 5, 6], headers: [.uploadChecksum: "sha1 \(forged)"]).status.code == 460)
                let honest = Data(Insecure.SHA1.hash(data: [4, 5, 6] as [UInt8])).base64EncodedString()
                #expect(try await client.patchChunk(other, token: ada.accessToken, offset: 3, [4, 5, 6], headers: [.uploadChecksum: "sha1 \(honest)"]).status == .noContent)

                var parts: [String] = []
                for piece in [[1, 2], [3]] as [[UInt8]] {
                    let part = try await client.createUpload(token: ada.accessToken, length: piece.count, headers: [.uploadConcat: "partial"])
                    _ = try await client.patchChunk(part, token: ada.accessToken, offset: 0, piece)
                    parts.append(part)
                }
                let final = try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: [.uploadConcat: "final;" + parts.joined(separator: " ")])
                #expect(final.status == .created)

                let doomed = try await client.createUpload(token: ada.accessToken, length: 10)
                _ = try await client.patchChunk(doomed, token: ada.accessToken, offset: 0, [1])
                #expect(try await client.tus(doomed, .delete, token: ada.accessToken).status == .noContent)
                #expect(try await server.platform.objects.list(prefix: "uploads").count == 5)
            }
        }
    }
}
