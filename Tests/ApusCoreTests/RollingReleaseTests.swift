@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ReleaseDrill
import SQLKit
import Testing

/// `docs/deploying.md`'s worked example, carried out: a column renamed (`url` to `target`) over
/// releases of one module (``BookmarksRelease``), each pair of consecutive releases serving side
/// by side on one database while the newer one's migrations are applied as their own step.
@Suite struct RollingReleaseTests {
    typealias Node = (server: ApusServer, client: any TestClientProtocol)

    static func put(_ node: Node, _ id: String, _ url: String, token: String) async throws -> HTTPResponse.Status {
        try await node.client.json("/v1/bookmarks/\(id)", .put, token: token, body: #"{"url":"\#(url)"}"#).status
    }

    static func get(_ node: Node, _ id: String, token: String) async throws -> String? {
        let response = try await node.client.json("/v1/bookmarks/\(id)", .get, token: token)
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
            let token = try await old.client.signedIn("release\(release)@example.com", server: old.server).accessToken
            #expect(try await old.client.json("/v1/bookmarks/anonymous", .put, body: #"{"url":"https://example.com/"}"#).status == .unauthorized)
            var expected = written
            let (refused, reason) = try await ready(new)
            #expect(refused == .serviceUnavailable && reason.contains("pending"), "release \(release) before its migrations: \(reason)")

            // The old release serves on while the new release's migrations run.
            for step in 0..<3 {
                let id = "r\(release)-before-\(step)"
                #expect(try await put(old, id, "https://example.com/\(id)", token: token) == .noContent)
                expected[id] = "https://example.com/\(id)"
            }
            try await new.server.migrator.migrate()
            #expect(try await ready(new).0 == .ok)
            #expect(try await ready(old).0 == .ok, "the older release stays ready beside the newer schema")

            // Side by side: writes through either node, old bookmarks changed too, are read
            // alike by both.
            for (index, node) in [old, new, old, new].enumerated() {
                let id = "r\(release)-beside-\(index)"
                #expect(try await put(node, id, "https://example.com/\(id)", token: token) == .noContent)
                expected[id] = "https://example.com/\(id)"
            }
            for (index, id) in expected.keys.sorted().prefix(4).enumerated() {
                let node = index.isMultiple(of: 2) ? old : new
                #expect(try await put(node, id, "https://example.com/\(id)/changed-in-\(release)", token: token) == .noContent)
                expected[id] = "https://example.com/\(id)/changed-in-\(release)"
            }
            for (id, url) in expected {
                #expect(try await get(old, id, token: token) == url, "release \(release - 1) reads \(id)")
                #expect(try await get(new, id, token: token) == url, "release \(release) reads \(id)")
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
                let token = try await old.client.signedIn("hasty@example.com", server: old.server).accessToken
                try await new.server.migrator.migrate()
                // Release 2 still writes `url`, which is gone: every write through it fails
                // until the last release 2 node is replaced.
                #expect(try await Self.put(old, "hasty", "https://example.com/a", token: token) == .internalServerError)
                #expect(try await Self.put(new, "hasty", "https://example.com/b", token: token) == .noContent)
                #expect(try await Self.get(old, "hasty", token: token) == "https://example.com/b")
            }
        }
    }
}
