import ApusCore
import ApusKit
import ApusTesting
import Foundation
import NIOCore
@testable import Recs
import Testing

/// The training run as a chain of step jobs: what each records, and the extract reading only
/// what is new.
@Suite struct PipelineTests {
    static func steps(_ model: [String: Any]) -> [[String: Any]] { model["steps"] as? [[String: Any]] ?? [] }

    static func metric(_ model: [String: Any], _ step: String, _ name: String) -> Double? {
        (steps(model).first { $0["step"] as? String == step }?["metrics"] as? [String: Any])?[name] as? Double
    }

    /// Each step is its own job and leaves its record on the model, in order, with its figures;
    /// a second run's extract reads only the interactions recorded since the first, yet trains
    /// on all of them.
    @Test(arguments: DatabaseEngine.allCases)
    func eachStepIsAJobWithItsFiguresAndTheNextRunExtractsOnlyWhatIsNew(engine: DatabaseEngine) async throws {
        try await Recommender.with(engine: engine) { recs in
            let likes = Recommender.plantedLikes()
            let (first, later) = (Array(likes.prefix(likes.count - 40)), Array(likes.suffix(40)))
            try await recs.like(first)
            let one = try await recs.train(#"{"model":"als","factors":8,"regularization":0.1,"alpha":10,"iterations":5,"seed":1}"#)
            #expect(one["status"] as? String == "published", "\(one)")
            #expect(Self.steps(one).map { $0["step"] as? String } == PipelineStep.allCases.map(\.rawValue))
            #expect(Self.steps(one).allSatisfy { $0["state"] as? String == "done" && $0["seconds"] is Double && $0["finished_at"] is String })
            #expect(Self.metric(one, "extract", "interactions_read") == Double(first.count))
            #expect(Self.metric(one, "transform", "pairs") == Double(first.count))
            #expect(Self.metric(one, "load", "entries") == Double(first.count) && (Self.metric(one, "load", "held_out") ?? 0) > 0)
            #expect(Self.metric(one, "evaluate", "ndcg_at_10") == (one["evaluation"] as? [String: Any])?["ndcg_at_10"] as? Double)
            #expect(Self.metric(one, "train", "training_seconds") != nil)

            // New pairs, and purchases of ten pairs the first run already added up.
            let again = Array(first.prefix(10))
            try await recs.like(later + again, kind: "purchase")
            let two = try await recs.train(#"{"model":"item_knn","evaluate":false}"#)
            #expect(two["status"] as? String == "published", "\(two)")
            #expect(Self.metric(two, "extract", "interactions_read") == Double(later.count + again.count))
            #expect(Self.metric(two, "extract", "interactions_extracted") == Double(likes.count + again.count))
            // A like (1) and a purchase (3) of one pair, extracted by two runs, add up to 4.
            let merged = try await recs.server.platform.read.primary { sql in
                try await sql.raw("SELECT weight FROM recs_pairs WHERE user_id = \(bind: again[0].0) AND item_id = \(bind: again[0].1)")
                    .first()?.decode(column: "weight", as: Double.self)
            }
            #expect(merged == 4)
            let pairs = Set(likes.map { "\($0.0)|\($0.1)" }).count
            #expect(Self.metric(two, "transform", "pairs") == Double(pairs))
            #expect(Self.steps(two).map { "\($0["step"]!):\($0["state"]!)" } == [
                "extract:done", "transform:done", "load:done", "evaluate:skipped", "train:done", "publish:done",
            ])

            // Every step ran as a job of its own kind.
            let metrics = String(buffer: try await recs.client.json("/metrics", .get).body)
            for step in PipelineStep.allCases where step != .evaluate {
                #expect(metrics.contains(#"apus_recs_step_seconds_count{step="\#(step.rawValue)"} 2"#), "\(step)")
                #expect(metrics.contains(#"kind="recs.\#(step.rawValue)""#), "\(step)")
            }
            // The run's step outputs are removed from the object store once it ends.
            // (Test nodes share one store: only these runs' keys are looked at.)
            for model in [one, two] {
                let prefix = "recs/runs/\(model["id"] as? String ?? "")"
                try await expectEventually { try await recs.server.platform.objects.list(prefix: prefix).isEmpty }
            }
        }
    }

    /// Models past `APUS_RECS_KEEP_MODELS` lose their lists, and publishing one again is
    /// refused with what to do; the kept ones can still be published again.
    @Test(arguments: DatabaseEngine.allCases)
    func listsOfModelsPastTheKeptOnesAreRemoved(engine: DatabaseEngine) async throws {
        try await Recommender.with(engine: engine, settings: ["APUS_RECS_KEEP_MODELS": "1"]) { recs in
            try await recs.like(Recommender.plantedLikes(users: 20))
            var ids: [String] = []
            for _ in 0..<3 {
                let model = try await recs.train(#"{"model":"popularity","evaluate":false}"#)
                #expect(model["status"] as? String == "published")
                ids.append(model["id"] as? String ?? "")
            }
            let rows = try await recs.server.platform.read.primary { sql in
                try await sql.raw("SELECT DISTINCT model_id FROM recs_lists").all().map { try $0.decode(column: "model_id", as: String.self) }
            }
            #expect(Set(rows) == Set(ids.suffix(2)))
            let pruned = try await recs.client.json("/v1/recs/models/\(ids[0])/publish", .post, token: recs.admin)
            #expect(pruned.status == .conflict && String(buffer: pruned.body).contains("APUS_RECS_KEEP_MODELS"))
            let kept = try await recs.client.json("/v1/recs/models/\(ids[1])/publish", .post, token: recs.admin)
            #expect(kept.status == .ok)
            #expect(try await recs.recommendations("u1").model == ids[1])
        }
    }

    /// `APUS_RECS_TRAIN_EVERY` trains the scheduled model on its own, through the same steps.
    @Test func theScheduleTrainsAndPublishesWithoutBeingAsked() async throws {
        try await Recommender.with(engine: .sqlite, settings: ["APUS_RECS_TRAIN_EVERY": "1", "APUS_RECS_SCHEDULED_MODEL": "popularity"]) { recs in
            try await recs.like(Recommender.plantedLikes(users: 12))
            var published: [String: Any]?
            try await expectEventually(30) {
                let page = try await recs.json("/v1/recs/models?limit=50", token: recs.admin)
                published = (page["items"] as? [[String: Any]] ?? []).first { $0["status"] as? String == "published" }
                return published != nil
            }
            #expect(published?["model"] as? String == "popularity")
            #expect(Self.steps(published ?? [:]).last?["step"] as? String == "publish")
            #expect(try await recs.recommendations("u1").strategy == "personal")
        }
    }

    /// The extract reads each interaction once, run after run; a changed half-life (its totals
    /// were decayed with the old one) starts them again from the first interaction.
    @Test(arguments: DatabaseEngine.allCases)
    func theExtractReadsEachInteractionOnceUntilTheHalfLifeChanges(engine: DatabaseEngine) async throws {
        try await Recommender.with(engine: engine) { recs in
            let likes = Recommender.plantedLikes(users: 8)
            try await recs.like(likes)
            func extract(halfLife: String?) async throws -> Double? {
                let settings = try RecsSettings(Settings(halfLife.map { ["APUS_RECS_HALF_LIFE": $0] } ?? [:]), cores: 1)
                let service = RecsService(platform: recs.server.platform, settings: settings)
                let reporter = StepProgress(model: "none", steps: [], service: service) { _ in }
                return try await service.extract(reporter: reporter).metrics["interactions_read"]
            }
            #expect(try await extract(halfLife: nil) == Double(likes.count))
            #expect(try await extract(halfLife: nil) == 0)
            #expect(try await extract(halfLife: "86400") == Double(likes.count))
            #expect(try await extract(halfLife: "86400") == 0)
            try await recs.like([("late", "g0-0")])
            #expect(try await extract(halfLife: "86400") == 1)
            #expect(try await extract(halfLife: nil) == Double(likes.count + 1))
        }
    }

    /// A step's job that runs again after the next step has run (its node died after queueing
    /// it) does nothing; one run again before that redoes its step in place.
    @Test(arguments: DatabaseEngine.allCases)
    func aStepRunTwiceIsHarmless(engine: DatabaseEngine) async throws {
        try await Recommender.with(engine: engine) { recs in
            try await recs.like(Recommender.plantedLikes(users: 12))
            let service = RecsService(platform: recs.server.platform, settings: try RecsSettings(Settings([:]), cores: 1))
            let record = try await service.requestTraining(TrainingRequest(model: .popularity, evaluate: false), queue: false)
            // The training lock is one per process on SQLite and per server on PostgreSQL: the
            // suite's other recs tests may hold it, as another node would. Wait, as a job does.
            func run(_ step: PipelineStep) async throws -> PipelineStep? {
                let deadline = ContinuousClock.now + .seconds(120)
                while true {
                    do {
                        return try await service.run(step, model: record.id, queue: false)
                    } catch JobFailure.retry where ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
            }
            #expect(try await run(.extract) == .transform)
            #expect(try await run(.transform) == .load)
            #expect(try await run(.transform) == .load, "redone in place")
            #expect(try await run(.load) == .train)
            #expect(try await run(.transform) == nil, "after load: nothing to do")
            #expect(try await run(.extract) == nil)
            let steps = try #require(try await service.model(record.id)).steps
            #expect(steps.map { "\($0.step.rawValue):\($0.state.rawValue)" } == ["extract:done", "transform:done", "load:done", "evaluate:skipped"])
            #expect(try await run(.train) == .publish)
            #expect(try await run(.publish) == nil)
            #expect(try await service.model(record.id)?.status == .published)
            #expect(try await run(.publish) == nil, "an ended run")
        }
    }

    /// A run that cannot train fails at its step, which says so, and queues nothing after it.
    @Test func aRunWithNothingToTrainOnFailsAtItsTransformStep() async throws {
        try await Recommender.with(engine: .sqlite) { recs in
            let failed = try await recs.train(#"{"model":"popularity"}"#)
            #expect(failed["status"] as? String == "failed")
            #expect(Self.steps(failed).map { "\($0["step"]!):\($0["state"]!)" } == ["extract:done", "transform:failed"])
        }
    }

    /// The extract's totals, added a page at a time and run after run, equal adding every
    /// interaction at once, decay included.
    @Test func totalsAddedInAnyChunksEqualTheWholeSum() {
        let day: Int64 = 86_400_000
        let interactions = [(1.0, 3 * day), (2.0, 0), (4.0, 5 * day), (1.0, 5 * day), (3.0, day)].map { PairTotal(weight: $0.0, at: $0.1) }
        let halfLife = 86_400.0 * 2
        let whole = interactions.dropFirst().reduce(interactions[0]) { $0.adding($1, halfLife: halfLife) }
        let left = interactions[0].adding(interactions[1], halfLife: halfLife)
        let right = interactions[2].adding(interactions[3], halfLife: halfLife).adding(interactions[4], halfLife: halfLife)
        let chunked = right.adding(left, halfLife: halfLife)
        let now = 9 * day
        let expected = interactions.reduce(0.0) { $0 + $1.weight * pow(0.5, Double(now - $1.at) / 1000 / halfLife) }
        #expect(abs(whole.weight(at: now, halfLife: halfLife) - expected) < 1e-12)
        #expect(abs(chunked.weight(at: now, halfLife: halfLife) - expected) < 1e-12)
        #expect(whole.weight == 11 && whole.at == 5 * day && chunked.at == 5 * day)
        #expect(whole.weight(at: now, halfLife: nil) == 11)
    }

    /// The step outputs read back as they were written; a cut or altered one is refused.
    @Test func artefactsRoundTripAndADamagedOneIsRefused() throws {
        let dataset = Dataset(
            [("a", "x", 0), ("a", "y", 5), ("b", "x", 7), ("c", "z", 9)].map { StoredInteraction(user: $0.0, item: $0.1, kind: .view, weight: 1.5, at: $0.2) },
            now: 10, halfLife: nil, minimumUser: 1, minimumItem: 1
        )
        let back = try ArtefactCoding.decodeDataset(ArtefactCoding.encode(dataset))
        #expect(back.users == dataset.users && back.items == dataset.items && back.matrix == dataset.matrix)
        #expect(back.pairs.map(\.at) == dataset.pairs.map(\.at))
        let loaded = LoadedMatrices(users: dataset.users, items: dataset.items, full: dataset.matrix, heldOut: dataset.heldOutItems(share: 0.5))
        let matrices = try ArtefactCoding.decodeMatrices(ArtefactCoding.encode(loaded))
        #expect(matrices.full == loaded.full && matrices.heldOut == loaded.heldOut && matrices.items == loaded.items)
        #expect(matrices.trainingSplit().train == dataset.split(holdout: 0.5).train)

        var cut = ArtefactCoding.encode(loaded)
        cut.moveWriterIndex(to: cut.writerIndex - 3)
        #expect(throws: TrainingRefused.self) { try ArtefactCoding.decodeMatrices(cut) }
        #expect(throws: TrainingRefused.self) { try ArtefactCoding.decodeMatrices(ArtefactCoding.encode(dataset)) }
    }
}
