@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing
@testable import Uploads

/// A chunk that ends otherwise than as sent (too long, or cut by shutdown) leaves the upload in
/// a state a client can go on from, and a finished upload tells its owner.
@Suite struct InterruptedChunkTests {
    @Test(arguments: DatabaseEngine.allCases)
    func aChunkLongerThanTheUploadStoresItsLengthAndFinishesIt(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server).accessToken
            let path = try await client.createUpload(token: ada, length: 4)
            #expect(try await client.patchChunk(path, token: ada, offset: 0, [1, 2, 3, 4, 5, 6]).status == .contentTooLarge)
            #expect(try await client.tus(path, .head, token: ada).headers[.uploadOffset] == "4")
            let id = try #require(path.split(separator: "/").last)
            let file = try await client.execute(uri: "/v1/files/\(id)", method: .get, headers: [.authorization: "Bearer \(ada)"])
            #expect(file.status == .ok)
            #expect(Array(file.body.readableBytesView) == [1, 2, 3, 4])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aChunkCutByItsRequestBeingCancelledKeepsWhatArrived(engine: DatabaseEngine) async throws {
        try await Self.cancelledChunkKeepsWhatArrived(engine: engine, objectStore: nil)
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aChunkCutByItsRequestBeingCancelledKeepsWhatArrivedOnS3(engine: DatabaseEngine) async throws {
        try await MotoServer.withBucket { location in
            try await Self.cancelledChunkKeepsWhatArrived(engine: engine, objectStore: location)
        }
    }

    private static func cancelledChunkKeepsWhatArrived(engine: DatabaseEngine, objectStore: S3Location?) async throws {
        try await UploadsTest.withNode(engine: engine, objectStore: objectStore) { server, client in
            let session = try await client.signedIn("ada@example.com", server: server)
            let path = try await client.createUpload(token: session.accessToken, length: 1000)
            let id = String(try #require(path.split(separator: "/").last))
            let service = UploadsService(platform: server.platform, settings: try UploadsSettings(Settings([:])))
            let user = try #require(try await server.identity.users.find(email: "ada@example.com"))
            let principal = Principal(userID: user.id, roles: [.viewer])
            // A body that sends 100 bytes and then waits, as a slow client does when the node
            // begins shutting down and cancels the request.
            let consumed = Gate()
            let body = HeldBody(first: ByteBuffer(bytes: [UInt8](repeating: 7, count: 100)), consumed: consumed)
            let patch = Task { try await service.append(.init(offset: 0), to: id, by: principal, body: body) }
            await consumed.wait()
            patch.cancel()
            _ = await patch.result
            #expect(try await service.find(id)?.offset == 100)
            #expect(try await client.tus(path, .head, token: session.accessToken).headers[.uploadOffset] == "100")
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aCompletedUploadsEventNamesItsOwner(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let session = try await client.signedIn("ada@example.com", server: server)
            let path = try await client.createUpload(token: session.accessToken, length: 2)
            #expect(try await client.patchChunk(path, token: session.accessToken, offset: 0, [1, 2]).status == .noContent)
            let owners = try await server.platform.database.read { sql in
                try await sql.raw("SELECT owner_id FROM apus_events WHERE type = 'uploads.upload.completed'").all().map { try $0.decode(column: "owner_id", as: String?.self) }
            }
            let user = try #require(try await server.identity.users.find(email: "ada@example.com"))
            #expect(owners == [user.id])
        }
    }
}

/// A request body that yields one buffer, opens `consumed` when asked for the next (the first
/// has then been taken in), and waits until its task is cancelled.
struct HeldBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let first: ByteBuffer
    let consumed: Gate

    struct AsyncIterator: AsyncIteratorProtocol {
        var first: ByteBuffer?
        let consumed: Gate

        mutating func next() async throws -> ByteBuffer? {
            if let buffer = first {
                first = nil
                return buffer
            }
            await consumed.open()
            try await Task.sleep(for: .seconds(3600))
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(first: first, consumed: consumed) }
}
