@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Uploads

@Suite struct UploadAcrossNodesTests {
    static func withTwoNodes(engine: DatabaseEngine, _ body: @Sendable ((ApusServer, any TestClientProtocol), (ApusServer, any TestClientProtocol)) async throws -> Void) async throws {
        // The nodes share the database and the object store, as a cluster does.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-uploads-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await TestServer.withTwoServers(engine: engine, modules: [UploadsModule()], configure: { $0.dataDirectory = directory }, body)
    }

    @Test(arguments: DatabaseEngine.allCases)
    func chunksSentAlternatelyToTwoNodesMakeOneFile(engine: DatabaseEngine) async throws {
        try await Self.withTwoNodes(engine: engine) { first, second in
            let (server, a) = first
            let b = second.1
            let ada = try await a.signedIn("ada@example.com", server: server)
            let bytes = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
            let path = try await a.createUpload(token: ada.accessToken, length: bytes.count)
            for (index, start) in stride(from: 0, to: bytes.count, by: 10_000).enumerated() {
                let node = index % 2 == 0 ? b : a
                let response = try await node.patchChunk(path, token: ada.accessToken, offset: start, Array(bytes[start..<(start + 10_000)]))
                #expect(response.status == .noContent)
            }
            #expect(try await b.tus(path, .head, token: ada.accessToken).headers[.uploadOffset] == "50000")
            let sha = try await server.platform.database.read { connection in
                try await connection.raw("SELECT sha256 FROM uploads_uploads").first()?.decode(column: "sha256", as: String.self)
            }
            #expect(sha == UploadsTest.sha256(bytes))
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func whileOneNodeHoldsAnUploadTheOtherAnswers423(engine: DatabaseEngine) async throws {
        try await Self.withTwoNodes(engine: engine) { first, second in
            let (server, a) = first
            let b = second.1
            let ada = try await a.signedIn("ada@example.com", server: server)
            let path = try await a.createUpload(token: ada.accessToken, length: 4)
            let id = String(path.split(separator: "/").last!)
            // Node A's platform takes the upload's lock, as a PATCH in progress there does.
            let status = try await server.platform.database.withExclusiveLock("uploads", id) {
                let response = try await b.patchChunk(path, token: ada.accessToken, offset: 0, [1, 2])
                #expect(response.headers[.retryAfter] != nil)
                #expect(try await b.tus(path, .delete, token: ada.accessToken).status.code == 423)
                return response.status.code
            }
            #expect(status == 423)
            // Released with the holder: the chunk goes through now.
            #expect(try await b.patchChunk(path, token: ada.accessToken, offset: 0, [1, 2]).status == .noContent)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func ofConcurrentPatchesOfOneUploadOnTwoNodesExactlyOneProceeds(engine: DatabaseEngine) async throws {
        try await Self.withTwoNodes(engine: engine) { first, second in
            let (server, a) = first
            let b = second.1
            let ada = try await a.signedIn("ada@example.com", server: server)
            let chunk = [UInt8](repeating: 5, count: 4 << 20)
            let path = try await a.createUpload(token: ada.accessToken, length: chunk.count * 2)
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for index in 0..<6 {
                    let node = index % 2 == 0 ? a : b
                    group.addTask { UInt(try await node.patchChunk(path, token: ada.accessToken, offset: 0, chunk).status.code) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 204 }.count == 1, "\(statuses)")
            #expect(statuses.allSatisfy { [204, 409, 423].contains($0) }, "\(statuses)")
            #expect(try await a.tus(path, .head, token: ada.accessToken).headers[.uploadOffset] == String(chunk.count))
        }
    }
}
