import ApusCore
import ApusModules
import ApusTesting
import Foundation
import Hummingbird
import Inventory
import HummingbirdTesting
import Links
import Notifications
import Uploads
import SQLKit
import Testing

/// The seam between the platform and the modules, checked over every module the binary ships.
@Suite struct ModuleContractTests {
    static let shipped: [any Module] = ShippedModules.all()
    /// The repository's root.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Routes that are not API operations and so are not in the document, by name: the short
    /// link redirect, which a browser follows.
    static let undocumented: Set<String> = ["/{code}"]

    @Test func everyRouteOfEveryModuleIsInTheDocumentAndEveryDocumentedPathIsARoute() async throws {
        try await TestDatabase.withDatabase(.sqlite) { database in
            let server = try ApusServer(platform: Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger), available: Self.shipped)
            try await server.openOwnDatabases()
            let started = try server.start()
            // No module's route hides another's (debug builds trap on this when they serve).
            try started.router.validate()
            let routes = Set(started.router.routes.filter { $0.method != .head }.map { $0.path.description })
            guard case .object(let paths)? = try server.openAPIDocument()["paths"] else {
                Issue.record("the document has no paths")
                return
            }
            let documented = Set(paths.keys)
            let missing = routes.subtracting(documented).subtracting(Self.undocumented).subtracting(started.socketPaths)
            #expect(missing.isEmpty, "routes missing from the OpenAPI document: \(missing.sorted())")
            let stale = documented.subtracting(routes)
            #expect(stale.isEmpty, "documented paths that no route serves: \(stale.sorted())")
        }
    }

    @Test func aModulesPermissionsCarryItsName() {
        for module in Self.shipped {
            for permission in module.permissions {
                #expect(permission.name.hasPrefix(module.name + "."), "\(permission.name) is not under \(module.name).")
            }
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func everyTableCarriesItsModulesName(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let server = try ApusServer(platform: Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger), available: Self.shipped)
            try await server.openOwnDatabases()
            try await server.migrator.migrate()
            let tables = try await database.read { connection in
                let query: SQLQueryString =
                    engine == .sqlite
                    ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                    : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
                return try await connection.raw(query).all().map { try $0.decode(column: "name", as: String.self) }
            }
            // `auth_` (identity) and `apus_` (queue, events, migrations) are the platform's own.
            let prefixes = ["auth_", "apus_"] + Self.shipped.map { $0.name + "_" }
            #expect(!tables.isEmpty)
            for table in tables {
                #expect(prefixes.contains { table.hasPrefix($0) }, "table \(table) carries no module's name")
            }
        }
    }

    /// A module whose route sits at the root, to show aliases are checked against every route.
    struct RootPageModule: Module {
        let name = "pages"

        func start(_ platform: Platform) throws -> ModuleParts {
            let routes = RouteCollection(context: ApusRequestContext.self)
            routes.get("/status-page") { _, _ in "up" }
            return ModuleParts(routes: routes)
        }
    }

    @Test(arguments: [true, false])
    func aliasesAvoidEveryModulesRoutesWhateverTheOrder(linksFirst: Bool) async throws {
        let modules: [any Module] = linksFirst ? [LinksModule(), RootPageModule()] : [RootPageModule(), LinksModule()]
        try await TestServer.withNode(modules: modules) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let response = try await client.json("/v1/links", .post, token: ada.accessToken, body: #"{"url":"https://e.com","alias":"status-page"}"#)
            #expect(response.status == .unprocessableContent)
        }
    }

    @Test func aModuleANodeDoesNotRunCannotStopItWithItsSettings() async throws {
        try await TestDatabase.withDatabase(.sqlite) { database in
            var configuration = ApusConfiguration()
            configuration.settings = Settings(["APUS_SMTP_URLS": "gopher://nowhere"])
            configuration.modules = ["links"]
            let linksOnly = try ApusServer(platform: Platform(configuration: configuration, database: database, logger: TestDatabase.logger), available: Self.shipped)
            _ = try linksOnly.start()
            configuration.modules = nil
            let every = try ApusServer(platform: Platform(configuration: configuration, database: database, logger: TestDatabase.logger), available: Self.shipped)
            try await every.openOwnDatabases()
            #expect {
                _ = try every.start()
            } throws: { error in
                (error as? ConfigurationError)?.description.contains("APUS_SMTP_URLS") == true
            }
        }
    }

    /// Modules know users only through `platform.users`: no module's source names Identity's
    /// tables, not even in a comment.
    @Test func noModuleTouchesIdentitysTables() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        let modules = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { !["ApusCore", "ApusKit", "ApusTesting", "apus"].contains($0) }
        #expect(modules.contains("Links") && modules.contains("Notifications"))
        for module in modules {
            let folder = sources.appendingPathComponent(module)
            let files = (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String]) ?? []
            for file in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") where line.contains("auth_") {
                    Issue.record("\(module)/\(file) names an Identity table: \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
    }

    @Test func fragmentsThatOverlapAreRefusedNotMerged() {
        let one = OpenAPIFragment(paths: ["/v1/a": ["get": ["operationId": "readA"]]], schemas: ["A": ["type": "string"]])
        #expect(throws: OpenAPIConflict.self) {
            try OpenAPIDocument.build(version: "1", fragments: [one, OpenAPIFragment(paths: ["/v1/b": ["get": ["operationId": "readA"]]])])
        }
        #expect(throws: OpenAPIConflict.self) {
            try OpenAPIDocument.build(version: "1", fragments: [one, OpenAPIFragment(schemas: ["A": ["type": "integer"]])])
        }
        #expect(throws: OpenAPIConflict.self) {
            try OpenAPIDocument.build(version: "1", fragments: [one, OpenAPIFragment(paths: ["/v1/a": ["get": ["operationId": "readAToo"]]])])
        }
        #expect(throws: Never.self) {
            try OpenAPIDocument.build(version: "1", fragments: [one, OpenAPIFragment(paths: ["/v1/a": ["post": ["operationId": "makeA"]]], schemas: ["A": ["type": "string"]])])
        }
    }
}
