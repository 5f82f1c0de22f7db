@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing

/// A module with a database of its own, a route that takes large bodies and a protocol path that
/// answers errors in its own shape: the seams a log store needs, without one.
struct LedgerModule: Module {
    let name = "ledger"
    static let write = Permission(module: "ledger", "write", roles: [.admin])

    var permissions: [Permission] { [Self.write] }
    var rootSegments: [String] { ["ledger-api"] }
    var ownDatabase: OwnDatabase? {
        OwnDatabase(migrations: [
            Migration(module: "ledger", name: "0001_entries", statements: ["CREATE TABLE ledger_entries (bytes INTEGER NOT NULL)"])
        ])
    }

    func start(_ platform: Platform) throws -> ModuleParts {
        let database = try platform.ownDatabase(for: name)
        let streamed = RouteCollection(context: ApusRequestContext.self)
        // Batches of several MiB, read whole.
        streamed.group("/ledger-api").add(middleware: RequestBodyLimit(bytes: 4 << 20)).post("/entries") { request, context -> Response in
            _ = try context.require(Self.write)
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            try await database.transaction { sql in
                try await sql.raw("INSERT INTO ledger_entries (bytes) VALUES (\(bind: body.readableBytes))").run()
            }
            return Response(status: .noContent)
        }
        let routes = RouteCollection(context: ApusRequestContext.self)
        routes.post("/v1/ledger/small") { request, context -> Response in
            _ = try await request.body.collect(upTo: context.maxUploadSize)
            return Response(status: .noContent)
        }
        // The protocol's clients read `{"message": …}` bodies, not problem+json.
        let shape = ErrorShape(pathPrefix: "/ledger-api/") { problem, _ in
            var headers = problem.headers
            headers[.contentType] = "application/json"
            return Response(status: problem.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"message":"\#(problem.detail ?? "")"}"#)))
        }
        return ModuleParts(routes: routes, streamedRoutes: streamed, errorShapes: [shape])
    }
}

@Suite struct OwnDatabaseTests {
    static func tables(_ database: any SQLDatabase, engine: DatabaseEngine) async throws -> Set<String> {
        let sql: SQLQueryString = engine == .sqlite
            ? "SELECT name FROM sqlite_master WHERE type = 'table'"
            : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
        return Set(try await database.raw(sql).all().map { try $0.decode(column: "name", as: String.self) })
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aModulesOwnTablesLiveInAFileOfTheirOwnOnSQLiteAndInTheSharedDatabaseOnPostgreSQL(_ engine: DatabaseEngine) async throws {
        try await TestServer.withNode(engine: engine, modules: [LedgerModule()]) { server, client in
            let own = try server.platform.ownDatabase(for: "ledger")
            #expect(own.isSeparate == (engine == .sqlite))
            let shared = try await server.platform.database.read { try await Self.tables($0, engine: engine) }
            let ownTables = try await own.read { try await Self.tables($0, engine: engine) }
            #expect(ownTables.contains("ledger_entries"))
            #expect(shared.contains("ledger_entries") == (engine == .postgres))
            if engine == .sqlite {
                // Beside the shared file, with its own record of what was applied.
                let main = try #require(server.platform.database as? SQLiteBackend)
                let file = URL(fileURLWithPath: main.path).deletingLastPathComponent().appendingPathComponent("ledger.sqlite").path
                #expect(FileManager.default.fileExists(atPath: file))
                let applied = try await own.read { try await $0.raw("SELECT module, name FROM apus_migrations").all() }
                #expect(try applied.map { try $0.decode(column: "module", as: String.self) } == ["ledger"])
                // Space freed by deletions can be given back to the file system.
                let vacuum = try await own.read { try await $0.raw("PRAGMA auto_vacuum").first()?.decode(column: "auto_vacuum", as: Int.self) }
                #expect(vacuum == 2, "incremental")
                // Eight MiB written and deleted: the file and its write-ahead log shrink back.
                try await own.transaction { sql in
                    try await sql.raw("CREATE TABLE ledger_scratch (data BLOB NOT NULL)").run()
                    try await sql.raw("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2048) INSERT INTO ledger_scratch SELECT randomblob(4096) FROM n").run()
                }
                try await own.transaction { try await $0.raw("DELETE FROM ledger_scratch").run() }
                let size = { (suffix: String) in ((try? FileManager.default.attributesOfItem(atPath: file + suffix))?[.size] as? Int) ?? 0 }
                #expect(size("") + size("-wal") > 8 << 20)
                try await own.releaseFreeSpace()
                #expect(size("") < 1 << 20 && size("-wal") == 0, "file \(size("")), log \(size("-wal"))")
            }
            // Nothing is pending, the own database's migration included, and it is listed.
            let status = try await server.migrator.status()
            #expect(status.contains { $0.id == MigrationID(module: "ledger", name: "0001_entries") && $0.appliedAt != nil })
            #expect(try await server.migrator.pending().isEmpty)
            #expect(try await server.migrator.migrate().isEmpty, "applying twice applies nothing")
            #expect(throws: ConfigurationError.self) { try server.platform.ownDatabase(for: "links") }

            // A write through the module lands in its own database.
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let response = try await client.execute(
                uri: "/ledger-api/entries", method: .post, headers: [.authorization: "Bearer \(admin.accessToken)"], body: ByteBuffer(string: "abc")
            )
            #expect(response.status == .noContent)
            let rows = try await own.read { try await $0.raw("SELECT bytes FROM ledger_entries").all() }
            #expect(try rows.map { try $0.decode(column: "bytes", as: Int.self) } == [3])
        }
    }

    @Test func aRouteTakesTheBodiesItsLimitAllowsAndEveryOtherRouteKeepsTheDefault() async throws {
        try await TestServer.withNode(modules: [LedgerModule()]) { server, client in
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let auth: HTTPFields = [.authorization: "Bearer \(admin.accessToken)"]
            let three = ByteBuffer(repeating: 0x61, count: 3 << 20)
            #expect(try await client.execute(uri: "/ledger-api/entries", method: .post, headers: auth, body: three).status == .noContent)
            let five = ByteBuffer(repeating: 0x61, count: 5 << 20)
            #expect(try await client.execute(uri: "/ledger-api/entries", method: .post, headers: auth, body: five).status == .contentTooLarge)
            let tooLarge = try await client.execute(uri: "/v1/ledger/small", method: .post, headers: auth, body: ByteBuffer(repeating: 0x61, count: 2 << 20))
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.headers[.contentType] == "application/problem+json")
            #expect(try await client.execute(uri: "/v1/ledger/small", method: .post, headers: auth, body: ByteBuffer(repeating: 0x61, count: 1000)).status == .noContent)
        }
    }

    @Test func errorsUnderAProtocolPathTakeItsShapeThePlatformsOwnToo() async throws {
        try await TestServer.withNode(modules: [LedgerModule()]) { server, client in
            struct Message: Decodable { let message: String }
            let viewer = try await client.signedIn("viewer@example.com", server: server)
            // The module's own refusal, the platform's for a bad token, and a path nobody serves.
            let forbidden = try await client.execute(uri: "/ledger-api/entries", method: .post, headers: [.authorization: "Bearer \(viewer.accessToken)"], body: nil)
            #expect(forbidden.status == .forbidden)
            #expect(try forbidden.decoded(Message.self).message.contains("ledger.write"))
            let badToken = try await client.execute(uri: "/ledger-api/entries", method: .post, headers: [.authorization: "Bearer nope"], body: nil)
            #expect(badToken.status == .unauthorized)
            #expect(badToken.headers[.wwwAuthenticate] != nil)
            #expect(try badToken.decoded(Message.self).message.isEmpty == false)
            let missing = try await client.execute(uri: "/ledger-api/nothing", method: .get)
            #expect(missing.status == .notFound)
            #expect(try missing.decoded(Message.self).message.contains("/ledger-api/nothing"))
            // Elsewhere, problems as ever.
            let elsewhere = try await client.execute(uri: "/v1/nothing", method: .get)
            #expect(elsewhere.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func basicAuthenticationTakesAnAPIKeyAsThePasswordAndNothingElse() async throws {
        try await TestServer.withNode(modules: [LedgerModule()]) { server, client in
            struct Created: Decodable { let key: String }
            let admin = try await client.signedIn("admin@example.com", roles: [.admin], server: server)
            let key = try await client.json("/v1/api-keys", .post, token: admin.accessToken, body: #"{"name":"shipper","scopes":["ledger.write"]}"#).decoded(Created.self).key
            func basic(_ user: String, _ password: String) -> HTTPFields {
                [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
            }
            #expect(try await client.execute(uri: "/ledger-api/entries", method: .post, headers: basic("anyone", key), body: ByteBuffer(string: "x")).status == .noContent)
            // An access token, a password, a wrong key and malformed Basic are refused.
            for headers in [basic("admin@example.com", admin.accessToken), basic("admin@example.com", "correct horse"), basic("x", "apus_" + String(repeating: "a", count: 33)),
                            [.authorization: "Basic !!!"], [.authorization: "Basic " + Data("no colon".utf8).base64EncodedString()]] as [HTTPFields] {
                #expect(try await client.execute(uri: "/ledger-api/entries", method: .post, headers: headers, body: ByteBuffer(string: "x")).status == .unauthorized)
            }
        }
    }
}
