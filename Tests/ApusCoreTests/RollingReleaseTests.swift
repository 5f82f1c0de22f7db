@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

/// `docs/deploying.md`'s worked example, carried out: a column renamed (`url` to `target`) over
/// releases of one module, each pair of consecutive releases serving side by side on one
/// database while the newer one's migrations are applied as their own step.
struct BookmarksRelease: Module {
    let name = "bookmarks"
    /// 0 reads and writes `url`; 1 adds `target` and writes both; 2 reads `target`; 3 stops
    /// writing `url`; 4 drops it.
    let release: Int
    /// Drops `url` in the release that stops writing it: the mistake the rule forbids.
    var contractsTooSoon = false

    var migrations: [Migration] {
        var all = [
            Migration(module: name, name: "0001_bookmarks", statements: ["CREATE TABLE bookmarks_items (id TEXT PRIMARY KEY, url TEXT NOT NULL)"])
        ]
        if release >= 1 {
            // Expand: a nullable column is instant; the backfill copies what release 0 wrote.
            all.append(
                Migration(module: name, name: "0002_bookmark_target", statements: [
                    "ALTER TABLE bookmarks_items ADD COLUMN target TEXT", "UPDATE bookmarks_items SET target = url WHERE target IS NULL",
                ])
            )
        }
        if release >= 2 {
            // What release 0 nodes changed while release 1 rolled out, then the column required.
            all.append(
                Migration(
                    module: name, name: "0003_bookmark_target_filled",
                    sqlite: ["UPDATE bookmarks_items SET target = url WHERE target IS NOT url"] + Self.rebuild(url: "NOT NULL", target: "NOT NULL"),
                    postgres: [
                        "UPDATE bookmarks_items SET target = url WHERE target IS DISTINCT FROM url", "ALTER TABLE bookmarks_items ALTER COLUMN target SET NOT NULL",
                    ]
                )
            )
        }
        if release >= 3 && contractsTooSoon {
            all.append(Self.dropURL)
        } else if release >= 3 {
            // A release that stops writing a required column must first stop requiring it.
            all.append(
                Migration(
                    module: name, name: "0004_bookmark_url_optional", sqlite: Self.rebuild(url: "", target: "NOT NULL"),
                    postgres: ["ALTER TABLE bookmarks_items ALTER COLUMN url DROP NOT NULL"]
                )
            )
        }
        if release >= 4 { all.append(Self.dropURL) }
        return all
    }

    static let dropURL = Migration(module: "bookmarks", name: "0005_drop_bookmark_url", statements: ["ALTER TABLE bookmarks_items DROP COLUMN url"])

    /// SQLite cannot change a column's constraint in place: the table is rebuilt.
    static func rebuild(url: String, target: String) -> [String] {
        [
            "CREATE TABLE bookmarks_items_next (id TEXT PRIMARY KEY, url TEXT \(url), target TEXT \(target))",
            "INSERT INTO bookmarks_items_next (id, url, target) SELECT id, url, target FROM bookmarks_items",
            "DROP TABLE bookmarks_items",
            "ALTER TABLE bookmarks_items_next RENAME TO bookmarks_items",
        ]
    }

    struct Bookmark: Codable, ResponseEncodable {
        var url: String
    }

    func start(_ platform: Platform) throws -> ModuleParts {
        let routes = RouteCollection(context: ApusRequestContext.self)
        let release = self.release
        routes.put("/v1/bookmarks/{id}") { request, context -> Response in
            let id = try context.parameters.require("id")
            let url = try await request.decodeJSON(as: Bookmark.self, context: context).url
            try await platform.database.write { sql in
                switch release {
                case 0:
                    try await sql.raw("INSERT INTO bookmarks_items (id, url) VALUES (\(bind: id), \(bind: url)) ON CONFLICT (id) DO UPDATE SET url = excluded.url").run()
                case 1, 2:
                    try await sql.raw(
                        """
                        INSERT INTO bookmarks_items (id, url, target) VALUES (\(bind: id), \(bind: url), \(bind: url))
                        ON CONFLICT (id) DO UPDATE SET url = excluded.url, target = excluded.target
                        """
                    ).run()
                default:
                    try await sql.raw("INSERT INTO bookmarks_items (id, target) VALUES (\(bind: id), \(bind: url)) ON CONFLICT (id) DO UPDATE SET target = excluded.target").run()
                }
            }
            return Response(status: .noContent)
        }
        routes.get("/v1/bookmarks/{id}") { _, context -> Bookmark in
            let id = try context.parameters.require("id")
            let query: SQLQueryString = release <= 1
                ? "SELECT url FROM bookmarks_items WHERE id = \(bind: id)"
                : "SELECT target AS url FROM bookmarks_items WHERE id = \(bind: id)"
            let url = try await platform.database.read { sql in
                try await sql.raw(query).first()?.decode(column: "url", as: String.self)
            }
            guard let url else { throw Problem.notFound("No bookmark '\(id)'.") }
            return Bookmark(url: url)
        }
        return ModuleParts(routes: routes)
    }
}

@Suite struct RollingReleaseTests {
    typealias Node = (server: ApusServer, client: any TestClientProtocol)

    static func put(_ node: Node, _ id: String, _ url: String) async throws -> HTTPResponse.Status {
        try await node.client.execute(
            uri: "/v1/bookmarks/\(id)", method: .put, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"url":"\#(url)"}"#)
        ).status
    }

    static func get(_ node: Node, _ id: String) async throws -> String? {
        let response = try await node.client.execute(uri: "/v1/bookmarks/\(id)", method: .get)
        guard response.status == .ok else { return nil }
        return try JSONDecoder().decode(BookmarksRelease.Bookmark.self, from: Data(buffer: response.body)).url
    }

    static func ready(_ node: Node) async throws -> (HTTPResponse.Status, String) {
        let response = try await node.client.execute(uri: "/health/ready", method: .get)
        return (response.status, String(buffer: response.body))
    }

    @Test(arguments: DatabaseEngine.allCases)
    func eachReleaseServesBesideTheOneBeforeWhileTheColumnIsRenamed(_ engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            // What every bookmark holds, whichever node wrote it last.
            var expected: [String: String] = [:]
            for release in 1...4 {
                let written = expected
                expected = try await Self.rollOut(release, on: database, holding: written)
            }
            #expect(expected.count == 28, "seven bookmarks a release")
        }
    }

    /// Release `release - 1` serves; `release` starts without migrating, its migrations are
    /// applied as their own step, then both serve side by side. Returns what each bookmark holds.
    static func rollOut(_ release: Int, on database: any Database, holding written: [String: String]) async throws -> [String: String] {
        try await TestServer.withNodes(sharing: database, running: [[BookmarksRelease(release: release - 1)], [BookmarksRelease(release: release)]]) { nodes in
            let (old, new): (Node, Node) = (nodes[0], nodes[1])
            // The very first release installs its own schema.
            if release == 1 { try await old.server.migrator.migrate() }
            var expected = written
            let (refused, reason) = try await ready(new)
            #expect(refused == .serviceUnavailable && reason.contains("pending"), "release \(release) before its migrations: \(reason)")

            // The old release serves on while the new release's migrations run.
            for step in 0..<3 {
                let id = "r\(release)-before-\(step)"
                #expect(try await put(old, id, "https://example.com/\(id)") == .noContent)
                expected[id] = "https://example.com/\(id)"
            }
            try await new.server.migrator.migrate()
            #expect(try await ready(new).0 == .ok)
            #expect(try await ready(old).0 == .ok, "the older release stays ready beside the newer schema")

            // Side by side: writes through either node, old bookmarks changed too, are read
            // alike by both.
            for (index, node) in [old, new, old, new].enumerated() {
                let id = "r\(release)-beside-\(index)"
                #expect(try await put(node, id, "https://example.com/\(id)") == .noContent)
                expected[id] = "https://example.com/\(id)"
            }
            for (index, id) in expected.keys.sorted().prefix(4).enumerated() {
                let node = index.isMultiple(of: 2) ? old : new
                #expect(try await put(node, id, "https://example.com/\(id)/changed-in-\(release)") == .noContent)
                expected[id] = "https://example.com/\(id)/changed-in-\(release)"
            }
            for (id, url) in expected {
                #expect(try await get(old, id) == url, "release \(release - 1) reads \(id)")
                #expect(try await get(new, id) == url, "release \(release) reads \(id)")
            }
            return expected
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func droppingAColumnInTheReleaseThatStopsWritingItBreaksTheReleaseBefore(_ engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            _ = try await Self.rollOut(1, on: database, holding: [:])
            _ = try await Self.rollOut(2, on: database, holding: [:])
            let hasty = BookmarksRelease(release: 3, contractsTooSoon: true)
            try await TestServer.withNodes(sharing: database, running: [[BookmarksRelease(release: 2)], [hasty]]) { nodes in
                let (old, new): (Node, Node) = (nodes[0], nodes[1])
                try await new.server.migrator.migrate()
                // Release 2 still writes `url`, which is gone: every write through it fails
                // until the last release 2 node is replaced.
                #expect(try await Self.put(old, "hasty", "https://example.com/a") == .internalServerError)
                #expect(try await Self.put(new, "hasty", "https://example.com/b") == .noContent)
                #expect(try await Self.get(old, "hasty") == "https://example.com/b")
            }
        }
    }
}
