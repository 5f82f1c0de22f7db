import ApusCore
import ApusKit
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Recs
import Testing

/// A node running Recs with an admin (trains) and an editor (records and serves).
struct Recommender: Sendable {
    let server: ApusServer
    let client: any TestClientProtocol
    let admin: String
    let editor: String

    static func with(engine: DatabaseEngine, settings: [String: String] = [:], _ body: @Sendable (Recommender) async throws -> Void) async throws {
        try await TestServer.withNode(engine: engine, modules: [RecsModule()], configure: {
            // One training thread: the suite runs every test at once on few cores.
            $0.settings = Settings(["APUS_RECS_THREADS": "1"].merging(settings) { $1 })
            $0.defaultRateLimit = RateLimitPolicy(name: "default", limit: 1_000_000, window: 60)
        }) { server, client in
            try await body(Recommender(
                server: server, client: client,
                admin: try await client.signedIn("admin@example.com", roles: [.admin], server: server).accessToken,
                editor: try await client.signedIn("editor@example.com", roles: [.editor], server: server).accessToken
            ))
        }
    }

    /// Records `likes` (user, item) a second apart, in batches of 500.
    func like(_ likes: [(String, String)], kind: String = "like") async throws {
        for start in stride(from: 0, to: likes.count, by: 500) {
            let batch = likes[start..<min(start + 500, likes.count)].enumerated().map { offset, like in
                ["user": like.0, "item": like.1, "kind": kind, "at": Timestamp.format(Date(timeIntervalSince1970: 1_700_000_000 + Double(start + offset)))]
            }
            let body = String(decoding: try JSONSerialization.data(withJSONObject: ["interactions": batch]), as: UTF8.self)
            let response = try await client.json("/v1/recs/interactions", .post, token: editor, body: body)
            #expect(response.status == .accepted, "\(String(buffer: response.body))")
        }
    }

    /// Trains a model and waits until it ends; returns its JSON.
    func train(_ body: String) async throws -> [String: Any] {
        let response = try await client.json("/v1/recs/models", .post, token: admin, body: body)
        #expect(response.status == .accepted, "\(String(buffer: response.body))")
        let location = try #require(response.headers[.location])
        var model: [String: Any] = [:]
        try await expectEventually(60) {
            model = try await json(location, token: admin)
            return ["published", "rejected", "failed"].contains(model["status"] as? String ?? "")
        }
        return model
    }

    func json(_ path: String, token: String) async throws -> [String: Any] {
        let response = try await client.json(path, .get, token: token)
        #expect(response.status == .ok, "\(path): \(String(buffer: response.body))")
        return try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
    }

    /// A user's list: item ids and the strategy that served it.
    func recommendations(_ user: String, query: String = "") async throws -> (items: [String], strategy: String, model: String?) {
        let answer = try await json("/v1/recs/users/\(user)\(query)", token: editor)
        let items = (answer["items"] as? [[String: Any]] ?? []).compactMap { $0["item"] as? String }
        return (items, answer["strategy"] as? String ?? "", answer["model"] as? String)
    }

    /// Planted tastes: users `u0`… in four groups, each liking its group's items `g<group>-<n>`
    /// and now and then another's.
    static func plantedLikes(users: Int = 80, itemsPerGroup: Int = 12) -> [(String, String)] {
        var generator = SplitMix64(seed: 11)
        var likes: [(String, String)] = []
        for user in 0..<users {
            for group in 0..<4 {
                for item in 0..<itemsPerGroup where generator.unit() < (group == user % 4 ? 0.5 : 0.03) {
                    likes.append(("u\(user)", "g\(group)-\(item)"))
                }
            }
        }
        return likes
    }
}
