import ApusCore
import ApusTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct HealthAndDocumentTests {
    static let pendingModule: EchoModule = {
        var module = EchoModule()
        module.migrations = [Migration(module: "echo", name: "0001_words", statements: ["CREATE TABLE echo_words (word TEXT PRIMARY KEY)"])]
        return module
    }()

    @Test(arguments: DatabaseEngine.allCases)
    func readinessWaitsForMigrations(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine, modules: [Self.pendingModule], migrate: false) { server, client in
            let live = try await client.execute(uri: "/health/live", method: .get)
            #expect(live.status == .ok)
            #expect(String(buffer: live.body) == #"{"status":"ok"}"#)
            let notReady = try await client.execute(uri: "/health/ready", method: .get)
            #expect(notReady.status == .serviceUnavailable)
            #expect(String(buffer: notReady.body).contains("echo/0001_words"))
            try await server.migrator.migrate()
            let ready = try await client.execute(uri: "/health/ready", method: .get)
            #expect(ready.status == .ok)
            #expect(String(buffer: ready.body) == #"{"status":"ready"}"#)
            #expect(ready.headers[.contentType] == live.headers[.contentType], "both are the same JSON")
        }
    }

    /// `GET /` tells a client, or a person with curl, where to go next.
    @Test func theRootNamesTheEntryPointsAndTheModulesThisNodeRuns() async throws {
        try await TestServer.withServer { _, client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .ok)
            let root = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: response.body))
            #expect(root["name"] == "apus" && root["api"] == "/v1" && root["openapi"] == "/v1/openapi.json")
            #expect(root["health"] == "/health/ready" && root["metrics"] == "/metrics")
            #expect(root["modules"] == ["echo"])
            let document = try await client.execute(uri: root["openapi"].flatMap { if case .string(let path) = $0 { path } else { nil } } ?? "", method: .get)
            #expect(document.status == .ok)
        }
    }

    @Test func theDocumentListsEveryModulesPaths() async throws {
        try await TestServer.withServer { _, client in
            let response = try await client.execute(uri: "/v1/openapi.json", method: .get)
            let document = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: response.body))
            #expect(document["openapi"] == "3.1.0")
            for path in ["/health/live", "/health/ready", "/metrics", "/v1/openapi.json", "/v1/echo"] {
                #expect(document["paths"]?[path] != nil, "missing \(path)")
            }
            #expect(document["components"]?["schemas"]?["Problem"] != nil)
        }
    }

    @Test func onlyTheModulesNamedRun() async throws {
        var configuration = ApusConfiguration()
        configuration.modules = ["echo"]
        let platform = Platform(configuration: configuration, database: NoDatabase(), logger: TestDatabase.logger)
        #expect(try ApusServer(platform: platform, available: [EchoModule()]).modules.map(\.name) == ["echo"])
        configuration.modules = ["links"]
        #expect(throws: ConfigurationError.self) {
            try ApusServer(platform: Platform(configuration: configuration, database: NoDatabase(), logger: TestDatabase.logger), available: [EchoModule()])
        }
        configuration.modules = []
        let none = try ApusServer(platform: Platform(configuration: configuration, database: NoDatabase(), logger: TestDatabase.logger), available: [EchoModule()])
        #expect(none.modules.isEmpty)
    }
}
