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
            #expect(try await firstRunDone("logs.retention", on: server))
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

    @Test(arguments: DatabaseEngine.allCases)
    func onPostgreSQLDaysPastEveryRetentionAreDroppedWholeAndLateDaysMoveOutOfTheDefault(_ engine: DatabaseEngine) async throws {
        let clock = TestClock()
        let settings = Settings([
            "APUS_LOGS_RETENTION": "3d", "APUS_LOGS_RETENTION_RULES": #"{app="audit"}=6d"#, "APUS_LOGS_REJECT_OLDER_THAN": "864000",
            "APUS_LOGS_RETENTION_EVERY": "1000000000", "APUS_LOGS_COMPACT_EVERY": "1000000000",
        ])
        try await TestServer.withNode(engine: engine, modules: [LogsModule()], clock: clock, configure: { $0.settings = settings }) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            struct Created: Decodable { let key: String }
            let key = try await client.json("/v1/api-keys", .post, token: admin.accessToken, body: #"{"name":"shipper","scopes":["logs.write","logs.read"]}"#).decoded(Created.self).key
            let day: Int64 = 86_400_000_000_000
            let start = Int64(clock.now().timeIntervalSince1970 * 1_000_000_000)
            func push(_ app: String, _ time: Int64, _ line: String) async throws {
                let body = #"{"streams":[{"stream":{"app":"\#(app)"},"values":[["\#(time)","\#(line)"]]}]}"#
                #expect(try await client.json("/loki/api/v1/push", .post, token: key, body: body).status == .noContent)
            }
            // The sweep that runs as the node starts has made the partitions when it is done.
            #expect(try await firstRunDone("logs.retention", on: server))
            let old = start - 5 * day - day / 2
            let recent = start - day / 2
            try await push("api", old, "api, five and a half days ago")
            try await push("audit", old, "audit, five and a half days ago")
            try await push("api", recent, "api, half a day ago")
            let storage = try server.platform.ownDatabase(for: LogsModule.name)
            let service = LogsService(storage: storage, settings: try LogsSettings(settings), now: clock.now)
            let partitions = { try await storage.read { sql in try await DayPartitions.partitions(on: sql) }.map(\.name) }
            let name = { (time: Int64) in DayPartitions.name(ofDay: DayPartitions.day(of: time)) }
            if engine == .postgres {
                // The partitions of the days kept (six, audit's) up to tomorrow, each line in its day's.
                let made = try await partitions()
                #expect(made.count == service.partitionDays(now: start, keep: 6 * day).count, "\(made)")
                #expect(made.first == name(start - 6 * day))
                #expect(try await rowCount("logs_chunks_default", in: storage) == 0)
                #expect(try await rowCount(name(old), in: storage) == 2)
                #expect(try await rowCount(name(recent), in: storage) == 1)
            }
            // api keeps three days: its old line goes alone, the day stays for audit's.
            #expect(try await service.applyRetention() == .init(chunks: 1, streams: 0))

            // Three days on (past the days made ahead, even from just before midnight), audit's
            // old line is past six days: its day goes whole; api's line of half a day ago is past
            // three and goes alone. A line arrives for a day with no partition yet: it waits in
            // the default partition, and the sweep moves it into its day's.
            clock.advance(by: 3 * 86_400)
            try await push("api", start + 3 * day, "three days on")
            if engine == .postgres { #expect(try await rowCount("logs_chunks_default", in: storage) == 1) }
            #expect(try await service.applyRetention() == .init(chunks: 2, streams: 1))
            #expect(try await rowCount("logs_chunks", in: storage) == 1)
            if engine == .postgres {
                let left = try await partitions()
                #expect(!left.contains(name(old)) && left.contains(name(start + 3 * day)), "\(left)")
                #expect(try await rowCount("logs_chunks_default", in: storage) == 0)
                #expect(try await rowCount(name(start + 3 * day), in: storage) == 1)
            }
            let query = #"{app=~".+"}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let found = String(buffer: try await client.json("/loki/api/v1/query_range?query=\(query)&start=\(start - 10 * day)&end=\(start + 4 * day)", .get, token: key).body)
            #expect(found.contains("three days on") && !found.contains("half a day ago") && !found.contains("five and a half"), "\(found)")
        }
    }
}
