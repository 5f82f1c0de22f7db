import ApusCore
import ApusKit
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Logs
import NIOCore
import NIOPosix
import Testing

/// Syslog over TCP: both framings of RFC 6587, both message formats, and the lines landing in
/// the syslog tenant on both engines.
@Suite struct SyslogTests {
    static func frames(_ chunks: [String], max: Int = 1_000) -> [SyslogFramer.Frame] {
        var framer = SyslogFramer(maxFrameBytes: max)
        var frames: [SyslogFramer.Frame] = []
        for chunk in chunks {
            framer.append(Array(chunk.utf8))
            while let frame = framer.next() { frames.append(frame) }
        }
        if let last = framer.finish() { frames.append(last) }
        return frames
    }

    static func message(_ text: String) -> SyslogFramer.Frame { .message(Array(text.utf8)) }

    @Test func octetCountedAndLineFramedMessagesAreToldApartFrameByFrame() {
        // Counted frames may hold line feeds; a line-framed one ends at its first.
        func counted(_ text: String) -> String { "\(text.utf8.count) \(text)" }
        #expect(Self.frames([counted("<13>1 - - - - - a\n") + counted("<13>two\nend") + "<14>three\r\n<14>four"]) == [
            Self.message("<13>1 - - - - - a\n"), Self.message("<13>two\nend"), Self.message("<14>three"), Self.message("<14>four"),
        ])
        // Split anywhere across reads, even inside the count.
        let whole = "17 <13>1 - h a - - x<14>line\n"
        for cut in 1..<whole.utf8.count {
            let bytes = Array(whole.utf8)
            let parts = [String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self)]
            #expect(Self.frames(parts) == [Self.message("<13>1 - h a - - x"), Self.message("<14>line")], "cut at \(cut)")
        }
    }

    @Test func anOverLongFrameIsSkippedWholeAndTheNextOneRead() {
        #expect(Self.frames(["30 <13>" + String(repeating: "x", count: 26) + "<13>ok\n"], max: 20) == [.tooLong(30), Self.message("<13>ok")])
        #expect(Self.frames(["<13>" + String(repeating: "y", count: 15), String(repeating: "y", count: 15) + "\n<13>next\n"], max: 20) == [.tooLong(34), Self.message("<13>next")])
        // Eleven digits are no count: the frame is a line.
        #expect(Self.frames(["12345678901 <13>x\n"]) == [Self.message("12345678901 <13>x")])
    }

    static let arrival = RFC3339.nanoseconds("2026-12-04T12:00:00Z")!

    @Test func rfc5424FieldsStructuredDataAndMessage() throws {
        let text = #"<165>1 2026-12-04T11:59:58.123456Z db1.example.com billing 4242 ID47 [exampleSDID@32473 iut="3" eventSource="App\"lication\]"][origin ip="10.0.0.1"] "# + "\u{FEFF} payment refused\n"
        let message = SyslogMessage(parsing: Array(text.utf8), receivedAt: Self.arrival, localOffset: 3_600)
        #expect(message.facility == 20)
        #expect(message.severity == 5)
        #expect(message.timestamp == RFC3339.nanoseconds("2026-12-04T11:59:58.123456Z"))
        #expect(message.hostname == "db1.example.com")
        #expect(message.appName == "billing")
        #expect(message.procID == "4242")
        #expect(message.msgID == "ID47")
        #expect(message.structuredData == [
            .init(id: "exampleSDID@32473", parameters: [.init(name: "iut", value: "3"), .init(name: "eventSource", value: #"App"lication]"#)]),
            .init(id: "origin", parameters: [.init(name: "ip", value: "10.0.0.1")]),
        ])
        #expect(message.text == "payment refused")

        let bare = SyslogMessage(parsing: Array("<14>1 - - - - - -".utf8), receivedAt: Self.arrival, localOffset: 0)
        #expect(bare == SyslogMessage(parsing: [], receivedAt: Self.arrival, localOffset: 0).with { $0.severity = 6 })
        #expect(bare.timestamp == Self.arrival)
    }

    @Test func rfc3164TimesTakeTheirZoneFromTheReceiverAndTheYearNearestTheArrival() {
        let logger = SyslogMessage(parsing: Array("<13>Dec  4 13:59:00 web-1 cron[811]: (root) CMD (run-parts)".utf8), receivedAt: Self.arrival, localOffset: 3_600)
        #expect(logger.timestamp == RFC3339.nanoseconds("2026-12-04T12:59:00Z"))
        #expect(logger.hostname == "web-1")
        #expect(logger.appName == "cron")
        #expect(logger.procID == "811")
        #expect(logger.text == "(root) CMD (run-parts)")
        #expect((logger.facility, logger.severity) == (1, 5))

        // A line of New Year's Eve read just after midnight belongs to the year before.
        let newYear = RFC3339.nanoseconds("2027-01-01T00:00:05Z")!
        let late = SyslogMessage(parsing: Array("<13>Dec 31 23:59:59 h app: x".utf8), receivedAt: newYear, localOffset: 0)
        #expect(late.timestamp == RFC3339.nanoseconds("2026-12-31T23:59:59Z"))

        // rsyslog's forwarding format: an RFC 3339 time in the BSD layout.
        let forwarded = SyslogMessage(parsing: Array("<30>2026-12-04T11:00:00.5+01:00 nas smartd: disk ok".utf8), receivedAt: Self.arrival, localOffset: 0)
        #expect(forwarded.timestamp == RFC3339.nanoseconds("2026-12-04T10:00:00.5Z"))
        #expect((forwarded.hostname, forwarded.appName, forwarded.text) == ("nas", "smartd", "disk ok"))

        // No priority and no time: user.notice, now, and the whole text.
        let plain = SyslogMessage(parsing: Array("just words: here".utf8), receivedAt: Self.arrival, localOffset: 0)
        #expect((plain.facility, plain.severity, plain.timestamp, plain.hostname) == (1, 5, Self.arrival, nil))
        #expect((plain.appName, plain.text) == (nil, "just words: here"))
    }

    @Test func messagesBecomeStreamsWithTheirIdsAsMetadataAndTheLimitsHold() throws {
        let limits = LokiPush.Limits(maxLineBytes: 20, maxLabels: 15, oldest: Self.arrival - 3_600_000_000_000, newest: Self.arrival + 600_000_000_000)
        let messages = [
            #"<11>1 2026-12-04T11:59:00Z h1 api 7 req [trace@1 id="abc"] failed"#,
            "<11>1 2026-12-04T11:59:01Z h1 api - - - again",
            "<11>1 2026-12-04T10:00:00Z h1 api - - - too old",
            "<11>1 2026-12-04T11:59:02Z h1 api - - - far too long a line for the limit",
        ].map { SyslogMessage(parsing: Array($0.utf8), receivedAt: Self.arrival, localOffset: 0) }
        let batch = SyslogReceiver.streams(messages, limits: limits)
        #expect(batch.refusals.count == 2)
        #expect(batch.streams.count == 1)
        let stream = try #require(batch.streams.first)
        #expect(stream.labels == LabelSet(canonical: [("app", "api"), ("facility", "user"), ("host", "h1"), ("job", "syslog"), ("level", "err")]))
        #expect(stream.entries.map { $0.line } == ["failed", "again"])
        #expect(stream.entries[0].metadata == ["pid": "7", "msgid": "req", "sd_trace_1_id": "abc"])
    }

    @Test func settingsRefuseAPortOrTenantTheListenerCannotUse() throws {
        #expect(throws: ConfigurationError.self) { try LogsSettings(Settings(["APUS_LOGS_SYSLOG_PORT": "70000"])) }
        #expect(throws: ConfigurationError.self) { try LogsSettings(Settings(["APUS_LOGS_SYSLOG_TENANT": "a b"])) }
        let defaults = try LogsSettings(Settings([:]))
        #expect(defaults.syslogPort == nil)
        #expect((defaults.syslogHost, defaults.syslogTenant) == ("127.0.0.1", "syslog"))
        let set = try LogsSettings(Settings(["APUS_LOGS_SYSLOG_PORT": "1514", "APUS_LOGS_SYSLOG_HOST": "0.0.0.0", "APUS_LOGS_SYSLOG_TENANT": "ops"]))
        #expect(set.syslogPort == 1514)
        #expect((set.syslogHost, set.syslogTenant) == ("0.0.0.0", "ops"))
    }

    /// A port nothing listens on now.
    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }

    static func send(_ text: String, to port: Int) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: text))
        try await channel.close()
    }

    @Test(arguments: DatabaseEngine.allCases)
    func linesShippedOverTCPAreReadInTheSyslogTenant(_ engine: DatabaseEngine) async throws {
        let port = try await Self.freePort()
        try await TestServer.withNode(engine: engine, modules: [LogsModule()], live: true, configure: {
            $0.settings = Settings(["APUS_LOGS_SYSLOG_PORT": String(port)])
        }) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let now = Date()
            let stamp = ISO8601DateFormatter().string(from: now)
            let counted = "<134>1 \(stamp) web-1 nginx - - - GET /a 200"
            try await Self.send("\(counted.utf8.count) \(counted)<131>1 \(stamp) web-1 nginx - - - GET /b 502\n<86>1 \(stamp) db-1 sshd 99 - - accepted key\n", to: port)
            let scope: HTTPFields = [HTTPField.Name("X-Scope-OrgID")!: "syslog"]
            var lines: [String] = []
            #expect(try await eventually {
                let answer = try await LokiAPITests.query(client, #"{job="syslog"}"#, token: admin.accessToken, extra: "&direction=forward", headers: scope)
                lines = try LokiAPITests.lines(answer)
                return lines.count == 3
            })
            #expect(Set(lines) == ["GET /a 200", "GET /b 502", "accepted key"])
            let errors = try await LokiAPITests.query(client, #"{app="nginx", level="err"}"#, token: admin.accessToken, headers: scope)
            #expect(try LokiAPITests.lines(errors) == ["GET /b 502"])
            let series = try LokiAPITests.json(try await client.json("/loki/api/v1/series?match[]=%7Bapp%3D%22sshd%22%7D", .get, token: admin.accessToken, headers: scope))
            #expect(series["data"] as? [[String: String]] == [["app": "sshd", "facility": "authpriv", "host": "db-1", "job": "syslog", "level": "info"]])
            // The admin's own tenant holds none of it.
            #expect(try LokiAPITests.lines(try await LokiAPITests.query(client, #"{job="syslog"}"#, token: admin.accessToken)).isEmpty)
        }
    }
}

extension SyslogMessage {
    func with(_ change: (inout SyslogMessage) -> Void) -> SyslogMessage {
        var copy = self
        change(&copy)
        return copy
    }
}
