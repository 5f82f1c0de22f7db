import ApusCore
import Foundation
import SQLKit

/// Links in `links_links`: the module's SQL, run on the connection or transaction it is given.
struct LinkStore: Sendable {
    let publicURL: String

    /// What a `links.link.*` event carries.
    struct LinkEvent: Encodable {
        var code: String
        var url: String
        var shortUrl: String
        var ownerId: String
    }

    private func emit(_ action: String, _ link: Link, in transaction: Transaction) async throws {
        try await transaction.emit(
            "links.link.\(action)", aggregate: link.code,
            json: LinkEvent(code: link.code, url: link.url, shortUrl: link.shortUrl, ownerId: link.ownerId), owner: link.ownerId
        )
    }

    /// `link` under `code`, with the short URL that goes with it.
    func withCode(_ code: String, _ link: Link) -> Link {
        var link = link
        link.code = code
        link.shortUrl = "\(publicURL)/\(code)"
        return link
    }

    /// What a redirect needs to know about a link.
    struct Target: Sendable, Equatable {
        let url: String
        let redirect: Int
        let expiresAt: Date?
        let maxVisits: Int?
    }

    /// The next sequence number, taken atomically.
    func nextNumber(in transaction: Transaction) async throws -> UInt64 {
        let row = try await transaction.sql.raw("""
            UPDATE links_sequence SET next_value = next_value + 1 WHERE id = 1 RETURNING next_value - 1 AS value
            """).first()
        return UInt64(try row!.decode(column: "value", as: Int64.self))
    }

    /// Inserts `link` and its `links.link.created` event; `false` if its code is taken. The
    /// primary key decides races: of many concurrent claims of one alias, on any node, exactly
    /// one returns `true`.
    func insert(_ link: Link, in transaction: Transaction) async throws -> Bool {
        let inserted = try await transaction.sql.raw("""
            INSERT INTO links_links (code, url, owner_id, redirect, expires_at, max_visits, visits, tags, created_at, updated_at)
            VALUES (\(bind: link.code), \(bind: link.url), \(bind: link.ownerId), \(bind: link.redirect),
                    \(bind: link.expiresAt.map(Timestamp.format)), \(bind: link.maxVisits), 0, \(bind: Self.encodeTags(link.tags)),
                    \(bind: Timestamp.format(link.createdAt)), \(bind: Timestamp.format(link.updatedAt)))
            ON CONFLICT (code) DO NOTHING
            RETURNING code
            """).first() != nil
        if inserted { try await emit("created", link, in: transaction) }
        return inserted
    }

    func find(code: String, on connection: any SQLDatabase) async throws -> Link? {
        try await connection.raw("SELECT \(unsafeRaw: Self.columns) FROM links_links WHERE code = \(bind: code)").first().map(link(from:))
    }

    /// Where `code` sends a visitor; `nil` for no such link, or one whose owner is disabled.
    func target(code: String, on connection: any SQLDatabase) async throws -> Target? {
        try await connection.raw("""
            SELECT url, redirect, expires_at, max_visits FROM links_links WHERE code = \(bind: code) AND suspended = 0
            """).first().map { row in
            Target(
                url: try row.decode(column: "url", as: String.self),
                redirect: try row.decode(column: "redirect", as: Int.self),
                expiresAt: try row.decode(column: "expires_at", as: String?.self).flatMap(Timestamp.parse),
                maxVisits: try row.decode(column: "max_visits", as: Int?.self)
            )
        }
    }

    /// Counts a visit to a capped link if it has visits left; `false` when the cap is reached.
    /// The condition in the update makes concurrent visits on every node add up exactly.
    func claimVisit(code: String, on connection: any SQLDatabase) async throws -> Bool {
        try await connection.raw("""
            UPDATE links_links SET visits = visits + 1
            WHERE code = \(bind: code) AND max_visits IS NOT NULL AND visits < max_visits
            RETURNING visits
            """).first() != nil
    }

    /// A page of links, by code, of `owner` (all owners when `nil`), optionally with `tag`.
    func list(owner: String?, tag: String?, limit: Int, after cursor: String?, on connection: any SQLDatabase) async throws -> [Link] {
        // `_` is a LIKE wildcard and may be part of a tag: escaped, it matches only itself.
        let pattern = tag.map { "%," + Self.escapeLike($0) + ",%" }
        return try await connection.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM links_links
            WHERE code > \(bind: cursor ?? "")
              AND (\(bind: owner) IS NULL OR owner_id = \(bind: owner))
              AND (\(bind: pattern) IS NULL OR tags LIKE \(bind: pattern) ESCAPE '!')
            ORDER BY code LIMIT \(bind: limit)
            """).all().map(link(from:))
    }

    /// `text` with LIKE's wildcards (and the escape character `!`) escaped by `!`.
    static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "!" { escaped.append("!") }
            escaped.append(character)
        }
        return escaped
    }

    /// Every link of `owner`.
    func links(of owner: String, on connection: any SQLDatabase) async throws -> [Link] {
        try await connection.raw("SELECT \(unsafeRaw: Self.columns) FROM links_links WHERE owner_id = \(bind: owner)").all().map(link(from:))
    }

    /// Marks every link of `owner` suspended or not; returns their codes.
    func setSuspended(owner: String, _ suspended: Bool, on connection: any SQLDatabase) async throws -> [String] {
        try await connection.raw("""
            UPDATE links_links SET suspended = \(bind: suspended ? 1 : 0) WHERE owner_id = \(bind: owner) RETURNING code
            """).all().map { try $0.decode(column: "code", as: String.self) }
    }

    func update(_ link: Link, in transaction: Transaction) async throws {
        try await transaction.sql.raw("""
            UPDATE links_links SET url = \(bind: link.url), redirect = \(bind: link.redirect),
                expires_at = \(bind: link.expiresAt.map(Timestamp.format)), max_visits = \(bind: link.maxVisits),
                tags = \(bind: Self.encodeTags(link.tags)), updated_at = \(bind: Timestamp.format(link.updatedAt))
            WHERE code = \(bind: link.code)
            """).run()
        try await emit("updated", link, in: transaction)
    }

    /// Deletes `link` and its clicks. The link row goes first: it waits for a click flush that
    /// holds it (see `ClickBuffer`), so the clicks that flush wrote are gone too.
    func delete(_ link: Link, in transaction: Transaction) async throws {
        try await transaction.sql.raw("DELETE FROM links_links WHERE code = \(bind: link.code)").run()
        try await transaction.sql.raw("DELETE FROM links_clicks WHERE code = \(bind: link.code)").run()
        try await emit("deleted", link, in: transaction)
    }

    static let columns = "code, url, owner_id, redirect, expires_at, max_visits, visits, tags, created_at, updated_at"

    func link(from row: any SQLRow) throws -> Link {
        let code = try row.decode(column: "code", as: String.self)
        return Link(
            code: code,
            shortUrl: "\(publicURL)/\(code)",
            url: try row.decode(column: "url", as: String.self),
            redirect: try row.decode(column: "redirect", as: Int.self),
            expiresAt: try row.decode(column: "expires_at", as: String?.self).flatMap(Timestamp.parse),
            maxVisits: try row.decode(column: "max_visits", as: Int?.self),
            visits: try row.decode(column: "visits", as: Int.self),
            tags: Self.decodeTags(try row.decode(column: "tags", as: String.self)),
            ownerId: try row.decode(column: "owner_id", as: String.self),
            createdAt: Timestamp.parse(try row.decode(column: "created_at", as: String.self)) ?? .distantPast,
            updatedAt: Timestamp.parse(try row.decode(column: "updated_at", as: String.self)) ?? .distantPast
        )
    }

    /// Tags are kept as `,a,b,` so that one tag is found with a LIKE on both engines.
    static func encodeTags(_ tags: [String]) -> String { tags.isEmpty ? "" : "," + tags.joined(separator: ",") + "," }

    static func decodeTags(_ text: String) -> [String] { text.split(separator: ",").map(String.init) }
}
