import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import Uploads

/// A deleted user's uploads go with their bytes, and the bytes go only once the removal of the
/// rows has committed (by a job it enqueued).
@Suite struct OwnerRemovalTests {
    struct Rollback: Error {}

    @Test(arguments: DatabaseEngine.allCases)
    func aRemovalThatRollsBackLeavesEveryUploadWithItsBytes(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server).accessToken
            let path = try await client.createUpload(token: ada, length: 3)
            #expect(try await client.patchChunk(path, token: ada, offset: 0, [1, 2, 3]).status == .noContent)
            let id = String(try #require(path.split(separator: "/").last))
            let user = try #require(try await server.identity.users.find(email: "ada@example.com"))
            let service = UploadsService(platform: server.platform, settings: try UploadsSettings(Settings([:])))

            await #expect(throws: Rollback.self) {
                try await server.platform.transaction { transaction in
                    try await service.removeUploads(of: user.id, in: transaction)
                    throw Rollback()
                }
            }
            let file = try await client.execute(uri: "/v1/files/\(id)", method: .get, headers: [.authorization: "Bearer \(ada)"])
            #expect(file.status == .ok)
            #expect(Array(file.body.readableBytesView) == [1, 2, 3])

            try await server.platform.transaction { transaction in
                try await service.removeUploads(of: user.id, in: transaction)
            }
            #expect(try await service.find(id) == nil)
            // By the job the removal enqueued.
            #expect(try await eventually { try await server.platform.objects.list(prefix: "uploads").isEmpty })
        }
    }
}
