@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HummingbirdTesting
import Testing
@testable import Uploads

@Suite struct UploadStateMetricsTests {
    /// The value of the series `name` (with its labels) on `/metrics`.
    static func value(_ name: String, _ client: any TestClientProtocol) async throws -> Double? {
        let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    static func sweepsFinished(_ server: ApusServer) async throws -> Int {
        try await server.platform.database.read { connection in
            try await connection.raw("SELECT COUNT(*) AS n FROM apus_jobs WHERE kind = 'uploads.remove-expired' AND state = 'completed'")
                .first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func uploadsAreCountedByStateAndRemovalsByReason(engine: DatabaseEngine) async throws {
        let clock = TestClock()
        // The node's own sweep runs once at start and then not again during the test, so that
        // the expired upload is still there to be counted and swept by hand.
        try await UploadsTest.withNode(engine: engine, clock: clock, settings: ["APUS_UPLOADS_EXPIRY": "60", "APUS_UPLOADS_SWEEP_INTERVAL": "1000000"]) { server, client in
            #expect(try await eventually { try await Self.sweepsFinished(server) >= 1 })
            let ada = try await client.signedIn("ada@example.com", server: server)
            let stale = try await client.createUpload(token: ada.accessToken, length: 4)
            clock.advance(by: 61)
            _ = try await client.createUpload(token: ada.accessToken, length: 4)
            let terminated = try await client.createUpload(token: ada.accessToken, length: 4)
            for _ in 0..<2 {
                let done = try await client.createUpload(token: ada.accessToken, length: 1)
                _ = try await client.patchChunk(done, token: ada.accessToken, offset: 0, [1])
            }
            #expect(try await client.tus(terminated, .delete, token: ada.accessToken).status == .noContent)
            let service = UploadsService(platform: server.platform, settings: try UploadsSettings(server.platform.settings))
            try await service.refreshStoredGauge()
            #expect(try await Self.value(#"apus_uploads_stored{state="unfinished"}"#, client) == 1)
            #expect(try await Self.value(#"apus_uploads_stored{state="expired"}"#, client) == 1)
            #expect(try await Self.value(#"apus_uploads_stored{state="completed"}"#, client) == 2)
            #expect(try await Self.value(#"apus_uploads_removed_total{reason="terminated"}"#, client) == 1)
            #expect(try await Self.value("apus_uploads_completed_total", client) == 2)

            #expect(try await service.removeExpired() == 1)
            #expect(try await client.tus(stale, .head, token: ada.accessToken).status == .notFound)
            try await service.refreshStoredGauge()
            #expect(try await Self.value(#"apus_uploads_stored{state="expired"}"#, client) == 0)
            #expect(try await Self.value(#"apus_uploads_removed_total{reason="expired"}"#, client) == 1)
        }
    }
}
