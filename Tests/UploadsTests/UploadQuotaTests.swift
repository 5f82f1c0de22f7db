@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import SQLKit
import Testing
@testable import Uploads

/// Every byte the server keeps for a user counts against the user's quota when it is accepted,
/// whatever path it comes by: a deferred length, final uploads of one part, or requests at once.
@Suite struct UploadQuotaTests {
    @Test(arguments: DatabaseEngine.allCases)
    func chunksOfADeferredLengthStopAtTheQuota(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine, settings: ["APUS_UPLOADS_QUOTA": "10"]) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server).accessToken
            let deferred = try await client.createUpload(token: ada, length: nil)
            #expect(try await client.patchChunk(deferred, token: ada, offset: 0, Array(repeating: 1, count: 6)).status == .noContent)
            // The next chunk is cut where the quota ends: what fits is kept, the rest refused.
            #expect(try await client.patchChunk(deferred, token: ada, offset: 6, Array(repeating: 2, count: 6)).status == .contentTooLarge)
            #expect(try await client.tus(deferred, .head, token: ada).headers[.uploadOffset] == "10")
            #expect(try await client.patchChunk(deferred, token: ada, offset: 10, [3]).status == .contentTooLarge)
            #expect(try await client.tus(deferred, .head, token: ada).headers[.uploadOffset] == "10")
            #expect(try await client.tus("/v1/uploads", .post, token: ada, headers: [.uploadLength: "1"]).status == .contentTooLarge)
            // Declaring the length it has finishes it; the quota is full but not exceeded.
            #expect(try await client.patchChunk(deferred, token: ada, offset: 10, [], headers: [.uploadLength: "10"]).status == .noContent)
            #expect(try await Self.bytesHeld(server, "ada@example.com") == 10)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func finalUploadsOfOneUnfinishedPartAreCountedWhenAssembled(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine, settings: ["APUS_UPLOADS_QUOTA": "10"]) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server).accessToken
            let part = try await client.createUpload(token: ada, length: nil, headers: [.uploadConcat: "partial"])
            var finals: [String] = []
            for _ in 0..<4 {
                let made = try await client.tus("/v1/uploads", .post, token: ada, headers: [.uploadConcat: "final;\(part)"])
                finals.append(try #require(made.headers[.location]))
            }
            // The part holds 4 bytes: one final of 4 fits in 10, a second would make 12.
            #expect(try await client.patchChunk(part, token: ada, offset: 0, [1, 2, 3, 4], headers: [.uploadLength: "4"]).status == .noContent)
            var outcomes: [HTTPResponse.Status: Int] = [:]
            #expect(try await eventually {
                outcomes = [:]
                for final in finals {
                    // Assembled (its offset is its length), refused (gone), or still waiting.
                    let head = try await client.tus(final, .head, token: ada)
                    let status: HTTPResponse.Status = head.status == .ok && head.headers[.uploadOffset] == nil ? .accepted : head.status
                    outcomes[status, default: 0] += 1
                }
                return outcomes[.ok, default: 0] + outcomes[.notFound, default: 0] == finals.count
            })
            #expect(outcomes[.ok] == 1, "\(outcomes)")
            #expect(try await Self.bytesHeld(server, "ada@example.com") == 8)

            // A part of known length counts each final at once: the second is refused.
            let known = try await client.createUpload(token: ada, length: 1, headers: [.uploadConcat: "partial"])
            #expect(try await client.tus("/v1/uploads", .post, token: ada, headers: [.uploadConcat: "final;\(known)"]).status == .created)
            #expect(try await client.tus("/v1/uploads", .post, token: ada, headers: [.uploadConcat: "final;\(known)"]).status == .contentTooLarge)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func creationsAtOnceEachJustUnderTheQuotaPassOnlyAsFarAsItGoes(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine, settings: ["APUS_UPLOADS_QUOTA": "10"]) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server).accessToken
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<12 {
                    group.addTask { try await client.tus("/v1/uploads", .post, token: ada, headers: [.uploadLength: "4"]).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 2, "\(statuses)")
            #expect(statuses.filter { $0 == .contentTooLarge }.count == 10)
            #expect(try await Self.bytesHeld(server, "ada@example.com") == 8)
        }
    }

    /// What the database says the user holds.
    static func bytesHeld(_ server: ApusServer, _ email: String) async throws -> Int64 {
        try await server.platform.database.read { sql in
            guard let owner = try await sql.raw("SELECT id FROM auth_users WHERE email = \(bind: email)").first()?.decode(column: "id", as: String.self) else { return -1 }
            return try await UploadStore().bytesHeld(by: owner, on: sql)
        }
    }
}
