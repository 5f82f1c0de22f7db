import ApusCore
import ApusTesting
import CompressNIO
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Logs
import NIOCore
import SQLKit
import Testing

/// Lines past their stream's retention go, chunks and streams alike; a rule keeps some longer.
@Suite struct RetentionTests {
    @Test(arguments: DatabaseEngine.allCases)
    func theSweepRemovesWhatIsPastEachStreamsWindowAndLeavesNothingOfIt(_ engine: DatabaseEngine) async throws {
        let clock = TestClock()
        // The background rounds are kept from running (their sweep is called by hand below).
        let settings = Settings([
            "APUS_LOGS_RETENTION": "30d", "APUS_LOGS_RETENTION_RULES": #"{app="billing"}=400d;{app=~"dev.*"}=2d"#,
            "APUS_LOGS_RETENTION_EVERY": "1000000000", "APUS_LOGS_COMPACT_EVERY": "1000000000",
        ])
        try await TestServer.withNode(engine: engine, modules: [LogsModule()], clock: clock, configure: { $0.settings = settings }) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            // A key, since access tokens expire as the clock moves on by days.
            struct Created: Decodable { let key: String }
            let key = try await client.json("/v1/api-keys", .post, token: admin.accessToken, body: #"{"name":"shipper","scopes":["logs.write"]}"#).decoded(Created.self).key
            func push(_ app: String, _ line: String) async throws {
                let now = Int64(clock.now().timeIntervalSince1970 * 1_000_000_000)
                let body = #"{"streams":[{"stream":{"app":"\#(app)"},"values":[["\#(now)","\#(line)"]]}]}"#
                #expect(try await client.json("/loki/api/v1/push", .post, token: key, body: body).status == .noContent)
            }
            for app in ["api", "billing", "dev-1"] { try await push(app, "day 0") }
            let storage = try server.platform.ownDatabase(for: LogsModule.name)
            let service = LogsService(storage: storage, settings: try LogsSettings(settings), now: clock.now)

            clock.advance(by: 3 * 86_400)
            try await push("api", "day 3")
            #expect(try await service.applyRetention() == .init(chunks: 1, streams: 1), "dev-1 is past its two days")
            clock.advance(by: 28 * 86_400)
            // Day 31: api's first line is past 30 days, its second is not; billing keeps 400.
            #expect(try await service.applyRetention() == .init(chunks: 1, streams: 0))
            #expect(try await rowCount("logs_chunks", in: storage) == 2)
            clock.advance(by: 400 * 86_400)
            #expect(try await service.applyRetention() == .init(chunks: 2, streams: 2))
            #expect(try await rowCount("logs_chunks", in: storage) == 0)
            #expect(try await rowCount("logs_streams", in: storage) == 0)
            // A stream swept away comes back when lines arrive for it again.
            try await push("api", "later")
            #expect(try await rowCount("logs_streams", in: storage) == 1)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func anArchivingSweepWritesEachChunkAsGzipNDJSONBeforeItGoes(_ engine: DatabaseEngine) async throws {
        let clock = TestClock()
        let settings = Settings([
            "APUS_LOGS_RETENTION": "1d", "APUS_LOGS_RETENTION_EXPORT": "on",
            "APUS_LOGS_RETENTION_EVERY": "1000000000", "APUS_LOGS_COMPACT_EVERY": "1000000000",
        ])
        try await TestServer.withNode(engine: engine, modules: [LogsModule()], clock: clock, configure: { $0.settings = settings }) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let adminID = try #require(try await server.identity.users.find(email: "admin@example.com")).id
            struct Created: Decodable { let key: String }
            let key = try await client.json("/v1/api-keys", .post, token: admin.accessToken, body: #"{"name":"shipper","scopes":["logs.write"]}"#).decoded(Created.self).key
            let now = Int64(clock.now().timeIntervalSince1970 * 1_000_000_000)
            for (app, lines) in [("api", ["a 1", "a 2"]), ("web", ["w 1"])] {
                let values = lines.enumerated().map { #"["\#(now + Int64($0))","\#($1)"]"# }.joined(separator: ",")
                let body = #"{"streams":[{"stream":{"app":"\#(app)"},"values":[\#(values)]}]}"#
                #expect(try await client.json("/loki/api/v1/push", .post, token: key, body: body).status == .noContent)
            }
            #expect(try await firstRunDone("logs.retention", on: server))
            let storage = try server.platform.ownDatabase(for: LogsModule.name)
            var service = LogsService(storage: storage, settings: try LogsSettings(settings), now: clock.now)
            service.archive = server.platform.objects
            clock.advance(by: 2 * 86_400)
            #expect(try await service.applyRetention() == .init(chunks: 2, streams: 2))
            #expect(try await rowCount("logs_chunks", in: storage) == 0)
            #expect(try await rowCount("logs_chunk_keys", in: storage) == 0)

            let objects = try await server.platform.objects.list(prefix: "logs/archive/\(adminID)")
            #expect(objects.count == 2)
            var lines: [String] = []
            for object in objects {
                var bytes = ByteBuffer()
                try await server.platform.objects.read(object.key, range: nil) { part in
                    var part = part
                    bytes.writeBuffer(&part)
                }
                let text = String(buffer: try bytes.decompress(with: .gzip(), maxSize: 1 << 20))
                lines += text.split(separator: "\n").map(String.init)
            }
            let records = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            #expect(Set(records.compactMap { $0["line"] as? String }) == ["a 1", "a 2", "w 1"])
            #expect(records.allSatisfy { $0["tenant"] as? String == adminID })
            #expect(Set(records.compactMap { ($0["labels"] as? [String: String])?["app"] }) == ["api", "web"])
        }
    }

    @Test func aRuleThatIsNotASelectorAndADurationStopsTheNode() {
        for bad in [#"{app="billing"}"#, #"app=400d"#, #"{app="b"} |= "x"=4d"#, #"{app="b"}=forever"#] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try LogsSettings(Settings(["APUS_LOGS_RETENTION_RULES": bad])) }
        }
        #expect(throws: ConfigurationError.self) { try LogsSettings(Settings(["APUS_LOGS_RETENTION": "a while"])) }
    }
}
