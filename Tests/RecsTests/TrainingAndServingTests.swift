import ApusCore
import ApusKit
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Recs
import Testing

@Suite struct TrainingAndServingTests {
    /// ALS trained through the API serves each user items of the user's own group, never one
    /// the user has, and names the model.
    @Test(arguments: DatabaseEngine.allCases)
    func aPublishedModelServesEachUserTheirTasteWithoutWhatTheyHave(engine: DatabaseEngine) async throws {
        try await Recommender.with(engine: engine) { recs in
            let likes = Recommender.plantedLikes()
            try await recs.like(likes)
            let model = try await recs.train(#"{"model":"als","factors":8,"regularization":0.1,"alpha":10,"iterations":10,"seed":1}"#)
            #expect(model["status"] as? String == "published", "\(model)")
            let evaluation = try #require(model["evaluation"] as? [String: Any])
            #expect((evaluation["ndcg_at_10"] as? Double ?? 0) > 0.2, "\(evaluation)")
            let stats = try #require(model["stats"] as? [String: Any])
            #expect(stats["seconds_per_iteration"] is Double)
            for user in ["u0", "u1", "u2", "u3"] {
                let (items, strategy, served) = try await recs.recommendations(user, query: "?limit=5")
                #expect(strategy == "personal" && served == model["id"] as? String)
                let group = Int(user.dropFirst())! % 4
                let own = Set(likes.filter { $0.0 == user }.map(\.1))
                #expect(items.count == 5 && items.allSatisfy { !own.contains($0) }, "\(user): \(items)")
                #expect(items.filter { $0.hasPrefix("g\(group)-") }.count >= 3, "\(user): \(items)")
            }
            let similar = try await recs.json("/v1/recs/items/g2-0/similar?limit=3", token: recs.editor)
            let neighbours = (similar["items"] as? [[String: Any]] ?? []).compactMap { $0["item"] as? String }
            #expect(neighbours.count == 3 && neighbours.allSatisfy { $0.hasPrefix("g2-") }, "\(neighbours)")
        }
    }

    /// A user the model never saw gets the popularity list; after one interaction the user's
    /// list is folded in against the model at once, with no retrain.
    @Test(arguments: DatabaseEngine.allCases)
    func aNewUserGetsPopularityThenIsFoldedInAtOnce(engine: DatabaseEngine) async throws {
        try await Recommender.with(engine: engine) { recs in
            try await recs.like(Recommender.plantedLikes())
            let model = try await recs.train(#"{"model":"als","factors":8,"regularization":0.1,"alpha":10,"iterations":10,"evaluate":false}"#)
            #expect(model["status"] as? String == "published" && model["evaluation"] is NSNull || model["evaluation"] == nil)
            let before = try await recs.recommendations("newcomer")
            #expect(before.strategy == "popularity" && before.items.count == 10 && before.model == model["id"] as? String)
            try await recs.like([("newcomer", "g3-0"), ("newcomer", "g3-1"), ("newcomer", "g3-2")])
            let after = try await recs.recommendations("newcomer", query: "?limit=5")
            #expect(after.strategy == "personal")
            #expect(!after.items.contains("g3-0") && after.items.filter { $0.hasPrefix("g3-") }.count >= 4, "\(after.items)")
            let metrics = String(buffer: try await recs.client.json("/metrics", .get).body)
            // Jobs folding in the planted users may have run too; the newcomer was folded in.
            let foldIns = metrics.split(separator: "\n").first { $0.hasPrefix("apus_recs_fold_ins_total ") }.flatMap { Int($0.split(separator: " ")[1]) }
            #expect((foldIns ?? 0) >= 1, "\(metrics)")
        }
    }

    /// A model scoring worse on the hold-out than the published one is trained but refused.
    @Test(arguments: DatabaseEngine.allCases)
    func theGateRefusesAWorseModelAndAnEarlierOneCanBePublishedAgain(engine: DatabaseEngine) async throws {
        try await Recommender.with(engine: engine) { recs in
            try await recs.like(Recommender.plantedLikes())
            let good = try await recs.train(#"{"model":"als","factors":8,"regularization":0.1,"alpha":10,"iterations":10}"#)
            #expect(good["status"] as? String == "published")
            let worse = try await recs.train(#"{"model":"popularity"}"#)
            #expect(worse["status"] as? String == "rejected", "\(worse)")
            #expect((worse["error"] as? String)?.contains("NDCG@10") == true)
            #expect(try await recs.recommendations("u1").model == good["id"] as? String)
            // Publishing without the gate, then the good one again by hand.
            let forced = try await recs.train(#"{"model":"popularity","evaluate":false}"#)
            #expect(forced["status"] as? String == "published")
            #expect(try await recs.json("/v1/recs/models/\(good["id"]!)", token: recs.admin)["status"] as? String == "retired")
            let again = try await recs.client.json("/v1/recs/models/\(good["id"]!)/publish", .post, token: recs.admin)
            #expect(again.status == .ok)
            #expect(try await recs.recommendations("u1").model == good["id"] as? String)
            let rejected = try await recs.client.json("/v1/recs/models/\(worse["id"]!)/publish", .post, token: recs.admin)
            #expect(rejected.status == .conflict)
        }
    }

    /// By default a user is never offered what the user has; `exclude_seen=false` ("buy
    /// again") scores the user's items too, and they come first for a user of one taste.
    @Test(arguments: DatabaseEngine.allCases)
    func excludeSeenFalseOffersWhatTheUserHasToo(engine: DatabaseEngine) async throws {
        try await Recommender.with(engine: engine) { recs in
            let likes = Recommender.plantedLikes()
            try await recs.like(likes)
            let model = try await recs.train(#"{"model":"item_knn","evaluate":false}"#)
            #expect(model["status"] as? String == "published")
            for user in ["u0", "u5"] {
                let own = Set(likes.filter { $0.0 == user }.map(\.1))
                let fresh = try await recs.recommendations(user, query: "?limit=20")
                #expect(fresh.strategy == "personal" && !fresh.items.isEmpty && fresh.items.allSatisfy { !own.contains($0) })
                let again = try await recs.recommendations(user, query: "?limit=20&exclude_seen=false")
                #expect(again.strategy == "personal" && again.model == model["id"] as? String)
                #expect(again.items.filter(own.contains).count >= min(5, own.count), "\(user): \(again.items) of \(own)")
            }
        }
    }

    @Test func aFilterKeepsOnlyItemsOfTheCategory() async throws {
        try await Recommender.with(engine: .sqlite) { recs in
            try await recs.like(Recommender.plantedLikes())
            for item in ["g0-1", "g1-1"] {
                let response = try await recs.client.json("/v1/recs/items/\(item)", .put, token: recs.editor, body: #"{"category":"books"}"#)
                #expect(response.status == .ok)
            }
            _ = try await recs.train(#"{"model":"popularity","evaluate":false}"#)
            let cold = try await recs.recommendations("stranger", query: "?filter=category:books")
            #expect(Set(cold.items) == ["g0-1", "g1-1"])
            // Percent-encoded (read through Hummingbird's decoding) or not (read in place), the
            // same answer; a parameter given twice counts once, as first given.
            for query in ["?filter=category%3Abooks", "?filter=category:books&filter=category:none", "?filter=category%3Abooks&filter=category:none"] {
                #expect(Set(try await recs.recommendations("stranger", query: query).items) == ["g0-1", "g1-1"], "\(query)")
            }
            // A `&` followed by a combining mark (U+0301) still ends the pair before it.
            for query in ["?limit=1&limit=50", "?limit=1&limit=50&x=%20", "?x&limit=1", "?limit=1&\u{301}"] {
                #expect(try await recs.recommendations("stranger", query: query).items.count == 1, "\(query)")
            }
        }
    }

    @Test func badInputIsA4xxAndEveryRouteNeedsItsPermission() async throws {
        try await Recommender.with(engine: .sqlite) { recs in
            let viewer = try await recs.client.signedIn("viewer@example.com", server: recs.server).accessToken
            for (path, method, body) in [
                ("/v1/recs/interactions", HTTPRequest.Method.post, #"{"interactions":[]}"#), ("/v1/recs/users/u1", .get, nil),
                ("/v1/recs/models", .post, #"{"model":"als"}"#), ("/v1/recs/models", .get, nil),
            ] {
                #expect(try await recs.client.json(path, method, body: body).status == .unauthorized, "\(path)")
                #expect(try await recs.client.json(path, method, token: viewer, body: body).status == .forbidden, "\(path)")
            }
            #expect(try await recs.client.json("/v1/recs/models", .post, token: recs.editor, body: #"{"model":"als"}"#).status == .forbidden)
            let empty = try await recs.client.json("/v1/recs/interactions", .post, token: recs.editor, body: #"{"interactions":[]}"#)
            #expect(empty.status == .unprocessableContent)
            let badKind = try await recs.client.json("/v1/recs/interactions", .post, token: recs.editor, body: #"{"interactions":[{"user":"u","item":"i","kind":"stare","at":"2024-01-01T00:00:00Z"}]}"#)
            #expect(badKind.status == .unprocessableContent)
            let badFactors = try await recs.client.json("/v1/recs/models", .post, token: recs.admin, body: #"{"model":"als","factors":0,"alpha":-1}"#)
            #expect(badFactors.status == .unprocessableContent)
            #expect(String(buffer: badFactors.body).contains("/factors") && String(buffer: badFactors.body).contains("/alpha"))
            for query in ["limit=0", "limit=", "limit", "limit=1x", "exclude_seen=maybe", "filter=colour:red", "filter=category:", "limit=0&x=%20", "exclude_seen=%20", "limit=\u{301}5"] {
                #expect(try await recs.client.json("/v1/recs/users/u1?\(query)", .get, token: recs.editor).status == .badRequest, "\(query)")
            }
            #expect(try await recs.client.json("/v1/recs/models/mdl_nothing", .get, token: recs.admin).status == .notFound)
            // Before any model: an empty answer, not an error.
            #expect(try await recs.recommendations("u1").strategy == "none")
            // A failed run says why.
            let failed = try await recs.train(#"{"model":"als"}"#)
            #expect(failed["status"] as? String == "failed" && (failed["error"] as? String)?.contains("no interactions") == true)
        }
    }
}

@Suite struct EASEModelTests {
    /// EASE trains through the API and serves; a catalogue past its limit is refused with a
    /// message that says what to change.
    @Test(arguments: DatabaseEngine.allCases)
    func easeServesAndIsRefusedPastItsItemLimit(engine: DatabaseEngine) async throws {
        try await Recommender.with(engine: engine) { recs in
            try await recs.like(Recommender.plantedLikes())
            let model = try await recs.train(#"{"model":"ease","regularization":20}"#)
            #expect(model["status"] as? String == "published", "\(model)")
            let (items, strategy, _) = try await recs.recommendations("u2", query: "?limit=5")
            #expect(strategy == "personal" && items.filter { $0.hasPrefix("g2-") }.count >= 3, "\(items)")
            // Folded in from EASE's strongest weights.
            try await recs.like([("fresh", "g1-0"), ("fresh", "g1-1")])
            let folded = try await recs.recommendations("fresh", query: "?limit=3")
            #expect(folded.strategy == "personal" && folded.items.allSatisfy { $0.hasPrefix("g1-") }, "\(folded.items)")
        }
        try await Recommender.with(engine: engine, settings: ["APUS_RECS_EASE_MAX_ITEMS": "10"]) { recs in
            try await recs.like(Recommender.plantedLikes())
            let refused = try await recs.train(#"{"model":"ease"}"#)
            #expect(refused["status"] as? String == "failed")
            #expect((refused["error"] as? String)?.contains("APUS_RECS_EASE_MAX_ITEMS (10)") == true, "\(refused)")
        }
    }
}
