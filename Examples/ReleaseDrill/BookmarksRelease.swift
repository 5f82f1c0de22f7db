public import ApusCore
import Foundation
import HTTPTypes
public import Hummingbird
import SQLKit

/// `docs/deploying.md`'s worked example as a module: a column renamed (`url` to `target`) over
/// five releases of one module, each release's code and migrations as that page gives them.
/// `Tests/ApusCoreTests/RollingReleaseTests.swift` runs consecutive releases side by side on one
/// database; `apus-release-drill` serves one release so the cluster test deploys them one after
/// another behind the balancer.
///
/// `PUT /v1/bookmarks/{id} {"url": …}` (204) and `GET /v1/bookmarks/{id}` (`{"url": …}`), for
/// any signed-in caller; a read names the release that served it in `Bookmarks-Release`.
public struct BookmarksRelease: Module {
    public let name = "bookmarks"
    /// 0 reads and writes `url`; 1 adds `target` and writes both; 2 reads `target`; 3 stops
    /// writing `url`; 4 drops it.
    public let release: Int
    /// Drops `url` in the release that stops writing it: the mistake the rule forbids.
    public var contractsTooSoon = false

    /// The newest release.
    public static let latest = 4

    /// The header a read answers with, naming the release that served it.
    public static let releaseHeader = HTTPField.Name("Bookmarks-Release")!

    public static let manage = Permission(module: "bookmarks", "manage", roles: Set(Role.allCases))

    public init(release: Int, contractsTooSoon: Bool = false) {
        self.release = release
        self.contractsTooSoon = contractsTooSoon
    }

    public var permissions: [Permission] { [Self.manage] }

    public var migrations: [Migration] {
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

    /// A bookmark as the API reads and writes it.
    public struct Bookmark: Codable, ResponseEncodable, Sendable {
        public var url: String

        public init(url: String) { self.url = url }
    }

    public func start(_ platform: Platform) throws -> ModuleParts {
        let routes = RouteCollection(context: ApusRequestContext.self)
        let bookmarks = routes.group("/v1/bookmarks").add(middleware: RequirePermission(Self.manage))
        let release = self.release
        bookmarks.put("/{id}") { request, context -> Response in
            _ = try context.require(Self.manage)
            let id = try context.parameters.require("id")
            let url = try await request.decodeJSON(as: Bookmark.self, context: context).url
            try await platform.transaction { transaction in
                let sql = transaction.sql
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
        bookmarks.get("/{id}") { _, context -> EditedResponse<Bookmark> in
            _ = try context.require(Self.manage)
            let id = try context.parameters.require("id")
            let query: SQLQueryString = release <= 1
                ? "SELECT url FROM bookmarks_items WHERE id = \(bind: id)"
                : "SELECT target AS url FROM bookmarks_items WHERE id = \(bind: id)"
            let url = try await platform.read { sql in
                try await sql.raw(query).first()?.decode(column: "url", as: String.self)
            }
            guard let url else { throw Problem.notFound("No bookmark '\(id)'.") }
            // Which release answered: the cluster test sees two serve side by side.
            return EditedResponse(headers: [Self.releaseHeader: "\(release)"], response: Bookmark(url: url))
        }
        return ModuleParts(routes: routes)
    }
}
