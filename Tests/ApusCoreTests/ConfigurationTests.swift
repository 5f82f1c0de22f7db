import ApusCore
import ApusTesting
import Foundation
import Testing

@Suite struct ConfigurationTests {
    @Test func aSwitchTakesOnOrOffInTheirUsualSpellingsAndRefusesTheRest() throws {
        for (text, value) in [("on", true), ("TRUE", true), ("yes", true), ("1", true), ("Off", false), ("false", false), ("no", false), ("0", false)] {
            #expect(try Settings(["APUS_X": text]).flag("APUS_X", default: !value) == value, "\(text)")
        }
        #expect(try Settings([:]).flag("APUS_X", default: true))
        #expect(throws: ConfigurationError.self) { try Settings(["APUS_X": "maybe"]).flag("APUS_X", default: false) }
    }

    @Test func readsEveryVariableOverTheDefaults() throws {
        let configuration = try ApusConfiguration(environment: [
            "APUS_HOST": "0.0.0.0", "APUS_PORT": "9000", "APUS_DATA_DIR": "/srv/apus",
            "APUS_DATABASE_URL": "postgres://u:p@db:5433/apus", "APUS_PUBLIC_URL": "https://sho.rt/",
            "APUS_MODULES": "Links, chat,,", "APUS_LOG_LEVEL": "DEBUG", "APUS_LOG_FORMAT": "text",
            "APUS_ADMIN_EMAIL": "a@example.com", "APUS_ADMIN_PASSWORD": "secret-pass",
        ])
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9000)
        #expect(configuration.dataDirectory == "/srv/apus")
        #expect(configuration.modules == ["links", "chat"])
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .text)
        #expect(configuration.effectivePublicURL == "https://sho.rt")
        try configuration.validate()
        #expect(ApusConfiguration().effectivePublicURL == "http://127.0.0.1:8080")
    }

    @Test(arguments: [
        ["APUS_PORT": "70000"], ["APUS_PORT": "http"], ["APUS_LOG_LEVEL": "loud"], ["APUS_LOG_FORMAT": "xml"],
        ["APUS_EXECUTOR": "threads"], ["APUS_EVENT_LOOPS": "0"], ["APUS_EVENT_LOOPS": "two"], ["APUS_EVENT_LOOPS": "1000"],
    ])
    func refusesValuesItCannotUse(environment: [String: String]) {
        #expect(throws: ConfigurationError.self) { try ApusConfiguration(environment: environment) }
    }

    @Test func theExecutorIsLeftToDispatchUnlessAskedAndItsSettingIsChecked() throws {
        #expect(!EventLoopExecutor.install(environment: [:]))
        #expect(!EventLoopExecutor.install(environment: ["APUS_EXECUTOR": "dispatch"]))
        #expect(EventLoopExecutor.current == "dispatch")
        _ = try ApusConfiguration(environment: ["APUS_EXECUTOR": "dispatch"])
        _ = try ApusConfiguration(environment: ["APUS_EXECUTOR": "event-loops"])
    }

    @Test func theEventLoopCountIsAWholeNumberOfLoopsOrLeftToNIO() throws {
        #expect(EventLoopExecutor.loopCount([:]) == nil)
        #expect(EventLoopExecutor.loopCount(["APUS_EVENT_LOOPS": " 1 "]) == 1)
        #expect(EventLoopExecutor.loopCount(["APUS_EVENT_LOOPS": "256"]) == 256)
        #expect(EventLoopExecutor.loopCount(["APUS_EVENT_LOOPS": "257"]) == nil)
        #expect(EventLoopExecutor.loopCount(["APUS_EVENT_LOOPS": "-1"]) == nil)
        _ = try ApusConfiguration(environment: ["APUS_EVENT_LOOPS": "3"])
    }

    @Test(arguments: ["mysql://u@h/db", "postgres://h/db", "postgres://u@/db", "postgres://u@h/db?sslmode=maybe", "sqlite://", "postgres://u@h/db?search_path=x;drop"])
    func refusesDatabaseURLsItCannotUse(url: String) {
        var configuration = ApusConfiguration()
        configuration.databaseURL = url
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }

    @Test func parsesAPostgresURL() throws {
        let location = try DatabaseLocation(url: "postgresql://app%40x:p%2Fw@db.internal:6432/apus?sslmode=require&search_path=tenant_1")
        #expect(location == .postgres(.init(host: "db.internal", port: 6432, username: "app@x", password: "p/w", database: "apus", tlsMode: "require", searchPath: "tenant_1")))
        #expect(!"\(location)".contains("p/w"))
        #expect(try DatabaseLocation(url: "sqlite:///tmp/a.sqlite") == .sqlite(path: "/tmp/a.sqlite"))
    }

    @Test func anUnwritableDataDirectoryIsAConfigurationError() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("apus-file-\(UUID())")
        #expect(FileManager.default.createFile(atPath: file.path, contents: Data()))
        #expect(throws: ConfigurationError.self) {
            try DatabaseOpener.ensureWritableDirectory(file.appendingPathComponent("data").path)
        }
        let fresh = FileManager.default.temporaryDirectory.appendingPathComponent("apus-dir-\(UUID())/nested")
        try DatabaseOpener.ensureWritableDirectory(fresh.path)
        #expect(FileManager.default.fileExists(atPath: fresh.path))
    }
}
