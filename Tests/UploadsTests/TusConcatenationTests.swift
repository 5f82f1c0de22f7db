@_spi(Platform) @testable import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Uploads

/// tus concatenation: partial uploads, and final uploads made of them, finished or not.
@Suite struct TusConcatenationTests {
    @Test(arguments: DatabaseEngine.allCases)
    func threePartialUploadsConcatenateIntoAFinalOne(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            var parts: [String] = []
            for piece in [[1, 2], [3], [4, 5, 6]] as [[UInt8]] {
                let path = try await client.createUpload(token: ada.accessToken, length: piece.count, headers: [.uploadConcat: "partial"])
                #expect(try await client.tus(path, .head, token: ada.accessToken).headers[.uploadConcat] == "partial")
                #expect(try await client.patchChunk(path, token: ada.accessToken, offset: 0, piece).status == .noContent)
                parts.append(path)
            }
            // Parts may be named by URL or path.
            let concat = "final;http://example.com\(parts[0]) \(parts[1]) \(parts[2])"
            let response = try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: [.uploadConcat: concat])
            #expect(response.status == .created)
            let final = try #require(response.headers[.location])
            let head = try await client.tus(final, .head, token: ada.accessToken)
            #expect(head.headers[.uploadLength] == "6")
            #expect(head.headers[.uploadOffset] == "6")
            #expect(head.headers[.uploadConcat] == "final;\(parts.joined(separator: " "))")
            #expect(try await client.patchChunk(final, token: ada.accessToken, offset: 6, [7]).status == .forbidden)
            let key = try #require(ObjectKey("uploads/" + final.split(separator: "/").last!))
            var stored: [UInt8] = []
            try await server.platform.objects.read(key, range: nil) { stored += $0.readableBytesView }
            #expect(stored == [1, 2, 3, 4, 5, 6])
            // Plain uploads and another user's parts cannot be concatenated.
            let plain = try await client.createUpload(token: ada.accessToken, length: 0)
            let eve = try await client.signedIn("eve@example.com", server: server)
            for (token, concat) in [(ada.accessToken, "final;\(plain)"), (eve.accessToken, "final;\(parts[0])"),
                                    (ada.accessToken, "final;"), (ada.accessToken, "final;/etc/passwd")] {
                #expect(try await client.tus("/v1/uploads", .post, token: token, headers: [.uploadConcat: concat]).status == .badRequest, "\(concat)")
            }
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aFinalUploadOfUnfinishedPartsIsAssembledWhenTheLastOneFinishes(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let first = try await client.createUpload(token: ada.accessToken, length: 2, headers: [.uploadConcat: "partial"])
            _ = try await client.patchChunk(first, token: ada.accessToken, offset: 0, [1, 2])
            let second = try await client.createUpload(token: ada.accessToken, length: 3, headers: [.uploadConcat: "partial"])
            let third = try await client.createUpload(token: ada.accessToken, length: nil, headers: [.uploadConcat: "partial"])
            let created = try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: [.uploadConcat: "final;\(first) \(second) \(third)"])
            #expect(created.status == .created)
            #expect(created.headers[.uploadOffset] == nil)
            #expect(created.headers[.uploadExpires] != nil)
            let final = try #require(created.headers[.location])

            // In progress: no offset, and no length while a part's is deferred.
            var head = try await client.tus(final, .head, token: ada.accessToken)
            #expect(head.status == .ok)
            #expect(head.headers[.uploadOffset] == nil && head.headers[.uploadLength] == nil && head.headers[.uploadDeferLength] == nil)
            #expect(head.headers[.uploadConcat] == "final;\(first) \(second) \(third)")
            #expect(head.headers[.uploadExpires] != nil)
            #expect(try await client.patchChunk(final, token: ada.accessToken, offset: 0, [9]).status == .forbidden)
            let id = String(final.split(separator: "/").last!)
            #expect(try await client.execute(uri: "/v1/files/\(id)", method: .get, headers: [.authorization: "Bearer \(ada.accessToken)"]).status == .notFound)

            _ = try await client.patchChunk(third, token: ada.accessToken, offset: 0, [6], headers: [.uploadLength: "1"])
            head = try await client.tus(final, .head, token: ada.accessToken)
            #expect(head.headers[.uploadLength] == "6" && head.headers[.uploadOffset] == nil)

            // The last part finishing assembles it, through a job.
            #expect(try await client.patchChunk(second, token: ada.accessToken, offset: 0, [3, 4, 5]).status == .noContent)
            #expect(try await eventually { try await client.tus(final, .head, token: ada.accessToken).headers[.uploadOffset] == "6" })
            head = try await client.tus(final, .head, token: ada.accessToken)
            #expect(head.headers[.uploadLength] == "6" && head.headers[.uploadExpires] == nil)
            let file = try await client.execute(uri: "/v1/files/\(id)", method: .get, headers: [.authorization: "Bearer \(ada.accessToken)"])
            #expect(Array(file.body.readableBytesView) == [1, 2, 3, 4, 5, 6])
            #expect(file.headers[.eTag] == "\"\(UploadsTest.sha256([1, 2, 3, 4, 5, 6]))\"")
            let completions = try await server.platform.database.read { connection in
                try await connection.raw("SELECT COUNT(*) AS n FROM apus_events WHERE type = 'uploads.upload.completed' AND aggregate = \(bind: id)")
                    .first()?.decode(column: "n", as: Int.self) ?? 0
            }
            #expect(completions == 1)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func anAdminsFinalOfAUsersPartsIsAssembledAndDeferredLengthsMeetTheQuotaAtAssembly(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine, settings: ["APUS_UPLOADS_QUOTA": "10"]) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            // An admin's final upload of Ada's part is assembled when Ada finishes the part.
            let part = try await client.createUpload(token: ada.accessToken, length: 2, headers: [.uploadConcat: "partial"])
            let final = try #require(try await client.tus("/v1/uploads", .post, token: admin.accessToken, headers: [.uploadConcat: "final;\(part)"]).headers[.location])
            _ = try await client.patchChunk(part, token: ada.accessToken, offset: 0, [7, 8])
            #expect(try await eventually { try await client.tus(final, .head, token: admin.accessToken).headers[.uploadOffset] == "2" })

            // Parts of deferred length: their sum is held against the quota when the final one
            // is assembled (parts 3 + 3 and a final of 6 would hold 12 of Ada's 10 bytes).
            let eve = try await client.signedIn("eve@example.com", server: server)
            let first = try await client.createUpload(token: eve.accessToken, length: nil, headers: [.uploadConcat: "partial"])
            let second = try await client.createUpload(token: eve.accessToken, length: nil, headers: [.uploadConcat: "partial"])
            let refused = try #require(try await client.tus("/v1/uploads", .post, token: eve.accessToken, headers: [.uploadConcat: "final;\(first) \(second)"]).headers[.location])
            #expect(try await client.patchChunk(first, token: eve.accessToken, offset: 0, [1, 2, 3], headers: [.uploadLength: "3"]).status == .noContent)
            #expect(try await client.patchChunk(second, token: eve.accessToken, offset: 0, [4, 5, 6], headers: [.uploadLength: "3"]).status == .noContent)
            #expect(try await eventually { try await client.tus(refused, .head, token: eve.accessToken).status == .notFound })
            #expect(try await client.tus(first, .head, token: eve.accessToken).headers[.uploadOffset] == "3")
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aFinalUploadWhosePartIsGoneIsGoneToo(engine: DatabaseEngine) async throws {
        let clock = TestClock()
        // The node's own sweep runs once at start and then not again, so the test's sweep counts.
        let settings = ["APUS_UPLOADS_EXPIRY": "60", "APUS_UPLOADS_SWEEP_INTERVAL": "1000000"]
        try await UploadsTest.withNode(engine: engine, clock: clock, settings: settings) { server, client in
            #expect(try await eventually { try await UploadStateMetricsTests.sweepsFinished(server) >= 1 })
            let ada = try await client.signedIn("ada@example.com", server: server)
            let kept = try await client.createUpload(token: ada.accessToken, length: 2, headers: [.uploadConcat: "partial"])
            let dropped = try await client.createUpload(token: ada.accessToken, length: 2, headers: [.uploadConcat: "partial"])
            let final = try #require(try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: [.uploadConcat: "final;\(kept) \(dropped)"]).headers[.location])
            #expect(try await client.tus(dropped, .delete, token: ada.accessToken).status == .noContent)
            #expect(try await client.tus(final, .head, token: ada.accessToken).status == .gone)
            // A final upload with a part that expired is gone as well, and the sweep removes both.
            let stale = try await client.createUpload(token: ada.accessToken, length: 2, headers: [.uploadConcat: "partial"])
            let waiting = try #require(try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: [.uploadConcat: "final;\(stale)"]).headers[.location])
            clock.advance(by: 61)
            #expect(try await client.tus(waiting, .head, token: ada.accessToken).status == .gone)
            #expect(try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: [.uploadConcat: "final;\(stale)"]).status == .badRequest)
            let sweep = UploadsService(platform: server.platform, settings: try UploadsSettings(server.platform.settings))
            #expect(try await sweep.removeExpired() == 2)
            #expect(try await sweep.settleWaitingFinals() == 2)
            for path in [final, waiting, stale] {
                #expect(try await client.tus(path, .head, token: ada.accessToken).status == .notFound)
            }
        }
    }

    /// An assembly that finds the final upload's lock held says so, and its job throws, so the
    /// queue runs it again later instead of counting it done.
    @Test(arguments: DatabaseEngine.allCases)
    func anAssemblyThatFindsTheLockHeldIsRetried(engine: DatabaseEngine) async throws {
        try await UploadsTest.withNode(engine: engine) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let part = try await client.createUpload(token: ada.accessToken, length: 1, headers: [.uploadConcat: "partial"])
            let final = try #require(try await client.tus("/v1/uploads", .post, token: ada.accessToken, headers: [.uploadConcat: "final;\(part)"]).headers[.location])
            let id = String(final.split(separator: "/").last!)
            let service = UploadsService(platform: server.platform, settings: try UploadsSettings(server.platform.settings))
            let job = FinalAssembly.handler(service: service)
            let payload = try NewJob(kind: FinalAssembly.kind, json: FinalAssembly.Payload(final: id)).payload
            let claimed = ClaimedJob(id: 1, kind: FinalAssembly.kind, payload: payload, attempt: 1, maxAttempts: 5)
            // The node's own worker runs the job the final upload enqueued, and may hold the lock
            // for a moment: take it when it is free.
            var held: Bool?
            for _ in 0..<100 where held == nil {
                held = try await server.platform.database.withExclusiveLock("uploads", id) {
                    guard case .busy = try await service.assembleIfReady(id) else { return false }
                    await #expect(throws: AssemblyBusy.self) { try await job.run(claimed) }
                    return true
                }
                if held == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(held == true)
            // Not ready (a part unfinished) is no failure: the part's completion will ask again.
            // (Busy again only while the node's worker holds the lock, as the queue would retry.)
            #expect(try await eventually {
                do {
                    try await job.run(claimed)
                    return true
                } catch is AssemblyBusy {
                    return false
                }
            })
        }
    }
}
