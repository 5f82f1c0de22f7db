import ApusCore
import ApusKit
import Foundation
import NIOCore

/// The work of each pipeline step. Every step can run again (its job retried after a crash)
/// and give the same result: the extract moves its position in the transaction that adds the
/// totals, artefacts and lists are written over.
extension RecsService {
    /// Adds the interactions committed since the last extract to the per-pair totals, a page
    /// at a time, each page with the position after it in one transaction. A changed half-life
    /// starts the totals again from the first interaction.
    func extract(reporter: StepProgress) async throws -> StepOutcome {
        var read = 0
        var updated = 0
        var total: Int64 = 0
        let halfLife = settings.halfLife
        // Everything committed before the run began is read now, not left to the next run by a
        // transaction still open elsewhere.
        _ = try await platform.read.primary { sql in try await CommitOrder.waitForEarlierTransactions(on: sql) }
        while true {
            let page = try await platform.transaction { [pairs] transaction -> (read: Int, pairs: Int, total: Int64) in
                var state = try await pairs.state(lockingIn: transaction.sql)
                var changed = false
                if state.halfLife != halfLife {
                    try await pairs.reset(on: transaction.sql)
                    state = PairStore.ExtractState(position: .start, halfLife: halfLife, interactions: 0)
                    changed = true
                }
                let (rows, next) = try await CommitOrder.rows(
                    of: "recs_interactions", columns: "user_id, item_id, weight, at", sequence: "seq", after: state.position, limit: 5_000,
                    on: transaction.sql
                )
                var fresh: [PairKey: PairTotal] = [:]
                for row in rows {
                    let key = PairKey(user: try row.decode(column: "user_id", as: String.self), item: try row.decode(column: "item_id", as: String.self))
                    let one = PairTotal(weight: try row.decode(column: "weight", as: Double.self), at: try row.decode(column: "at", as: Int64.self))
                    fresh[key] = fresh[key].map { $0.adding(one, halfLife: halfLife) } ?? one
                }
                if !rows.isEmpty {
                    var merged = fresh
                    for (key, stored) in try await pairs.totals(of: Array(fresh.keys), on: transaction.sql) {
                        merged[key] = stored.adding(fresh[key]!, halfLife: halfLife)
                    }
                    try await pairs.write(merged, on: transaction.sql)
                    state.position = next
                    state.interactions += Int64(rows.count)
                    changed = true
                }
                if changed { try await pairs.save(state, on: transaction.sql) }
                return (rows.count, fresh.count, state.interactions)
            }
            total = page.total
            guard page.read > 0 else { break }
            read += page.read
            updated += page.pairs
            reporter.report("interactions_read", Double(read))
        }
        return StepOutcome(metrics: ["interactions_read": Double(read), "pairs_updated": Double(updated), "interactions_extracted": Double(total)])
    }

    /// Weighs every pair's total at this moment, applies the minimum counts, numbers users and
    /// items, and stores the result for the load step.
    func transform(_ record: ModelRecord, artefacts: RunArtefacts) async throws -> StepOutcome {
        let totals = try await platform.read.primary { [pairs] sql in try await pairs.all(on: sql) }
        let now = platform.now().epochMilliseconds
        let settings = settings
        let dataset = await CPUWork.run {
            Dataset(totals: totals, now: now, halfLife: settings.halfLife, minimumUser: settings.minimumUserInteractions, minimumItem: settings.minimumItemInteractions)
        }
        guard !dataset.pairs.isEmpty else { throw TrainingRefused("There are no interactions to train on.") }
        if record.model == .ease, dataset.items.count > settings.easeMaxItems {
            throw TrainingRefused(
                "EASE inverts an items × items matrix: \(dataset.items.count) items is more than APUS_RECS_EASE_MAX_ITEMS (\(settings.easeMaxItems)). Raise it, raise APUS_RECS_MIN_ITEM_INTERACTIONS, or train als."
            )
        }
        try await artefacts.write(RunArtefacts.dataset, await CPUWork.run { ArtefactCoding.encode(dataset) })
        return StepOutcome(metrics: [
            "pairs_read": Double(totals.count), "pairs": Double(dataset.pairs.count),
            "users": Double(dataset.users.count), "items": Double(dataset.items.count),
        ])
    }

    /// Builds the sparse user × item matrix, and each user's held-out items when the run
    /// evaluates, and stores them for the model steps.
    func load(_ record: ModelRecord, artefacts: RunArtefacts) async throws -> StepOutcome {
        let stored = try await artefacts.read(RunArtefacts.dataset)
        let holdout = (record.parameters.evaluate ?? true) ? settings.holdout : nil
        let built = await CPUWork.run { () -> Result<(LoadedMatrices, ByteBuffer), any Error> in
            Result {
                let dataset = try ArtefactCoding.decodeDataset(stored)
                let loaded = LoadedMatrices(
                    users: dataset.users, items: dataset.items, full: dataset.matrix, heldOut: holdout.map { dataset.heldOutItems(share: $0) }
                )
                return (loaded, ArtefactCoding.encode(loaded))
            }
        }
        let (loaded, encoded) = try built.get()
        try await artefacts.write(RunArtefacts.matrices, encoded)
        return StepOutcome(metrics: [
            "rows": Double(loaded.full.rowCount), "columns": Double(loaded.full.columnCount), "entries": Double(loaded.full.entryCount),
            "held_out": Double(loaded.heldOut?.reduce(0) { $0 + $1.count } ?? 0),
        ])
    }

    /// Trains on the split, scores the model on each user's held-out items, and refuses it
    /// past the gate.
    func evaluate(_ record: ModelRecord, artefacts: RunArtefacts, reporter: StepProgress) async throws -> StepOutcome {
        let loaded = try await matrices(artefacts)
        let request = record.parameters
        let threads = settings.threads
        let evaluation = await CPUWork.run {
            let (train, heldOut) = loaded.trainingSplit()
            let model = TrainedModel.train(request, on: train, threads: threads) { iteration in
                reporter.report(0.9 * Double(iteration) / Double(max(1, request.iterations ?? 1)))
            }
            let top = model.topItems(train, count: 10, threads: threads).map { $0.map(\.index) }
            let metrics = RankingMetrics.evaluate(recommended: top, heldOut: heldOut, k: 10, catalogue: loaded.items.count)
            return Evaluation(ndcgAt10: metrics.ndcg, precisionAt10: metrics.precision, recallAt10: metrics.recall, coverage: metrics.coverage, users: metrics.users)
        }
        var outcome = StepOutcome(
            metrics: [
                "ndcg_at_10": evaluation.ndcgAt10, "precision_at_10": evaluation.precisionAt10, "recall_at_10": evaluation.recallAt10,
                "coverage": evaluation.coverage, "users": Double(evaluation.users),
            ],
            evaluation: evaluation
        )
        if let refusal = try await gate(evaluation) { outcome.ending = .rejected(refusal) }
        return outcome
    }

    /// Trains on every pair, timed, and stores the model's lists and factors under its id:
    /// nothing serves from them until the publish step.
    func trainFully(_ record: ModelRecord, artefacts: RunArtefacts, reporter: StepProgress) async throws -> StepOutcome {
        let loaded = try await matrices(artefacts)
        let request = record.parameters
        let threads = settings.threads
        let listSize = settings.listSize
        let output = await CPUWork.run { () -> TrainingOutput in
            let matrix = loaded.full
            let began = ContinuousClock.now
            let model = TrainedModel.train(request, on: matrix, threads: threads) { iteration in
                reporter.report(0.8 * Double(iteration) / Double(max(1, request.iterations ?? 1)))
            }
            let seconds = (ContinuousClock.now - began).seconds
            let userLists = model.topItems(matrix, count: listSize, threads: threads)
            // Similar items: EASE's own strongest weights (which fold-in then sums), else cosine kNN.
            let similar: [[ScoredItem]] = switch model {
            case .popularity: []
            case .ease(let ease): (0..<ease.itemCount).map { ease.neighbours(of: $0, count: listSize) }
            case .itemKNN(let knn): knn.neighbours
            case .als: ItemKNN.train(matrix, neighbours: 20, threads: threads).neighbours
            }
            let popular = TopItems.select(Popularity.scores(matrix), count: max(listSize, 1_000))
            return TrainingOutput(model: model, seconds: seconds, userLists: userLists, similar: similar, popular: popular)
        }
        reporter.report(0.9)
        try await store(output, of: record, users: loaded.users, items: loaded.items)
        let stats = TrainingStats(
            users: loaded.users.count, items: loaded.items.count, interactions: loaded.full.entryCount, trainingSeconds: output.seconds,
            secondsPerIteration: request.model == .als ? output.seconds / Double(max(1, request.iterations ?? 1)) : nil,
            pipelineSeconds: platform.now().timeIntervalSince(record.steps.first?.startedAt ?? record.createdAt), threads: threads
        )
        return StepOutcome(
            metrics: ["training_seconds": output.seconds, "lists": Double(1 + output.userLists.count + output.similar.count)],
            stats: stats
        )
    }

    /// `nil` when `evaluation` may replace the published model; else why not.
    private func gate(_ evaluation: Evaluation) async throws -> String? {
        guard let current = try await current(), let published = try await model(current.id)?.evaluation else { return nil }
        let floor = published.ndcgAt10 * (1 - settings.gateMargin)
        guard evaluation.ndcgAt10 < floor else { return nil }
        return "NDCG@10 \(Self.format(evaluation.ndcgAt10)) is below the published model's \(Self.format(published.ndcgAt10)) less the \(Self.format(settings.gateMargin * 100))% margin."
    }

    private static func format(_ value: Double) -> String { String(format: "%.4f", value) }

    private func matrices(_ artefacts: RunArtefacts) async throws -> LoadedMatrices {
        let stored = try await artefacts.read(RunArtefacts.matrices)
        return try await CPUWork.run { Result { try ArtefactCoding.decodeMatrices(stored) } }.get()
    }

    /// Writes the model's lists and factors under its id, in chunks.
    private func store(_ output: TrainingOutput, of record: ModelRecord, users: [String], items: [String]) async throws {
        func encoded(_ list: [ScoredItem]) throws -> String {
            try RecsJSON.string(list.map { Recommendation(item: items[$0.index], score: Double($0.score)) })
        }
        var lists: [(subject: ListSubject, items: String)] = [(subject: .popular, items: try encoded(output.popular))]
        for (user, list) in output.userLists.enumerated() { lists.append((subject: .user(users[user]), items: try encoded(list))) }
        for (item, list) in output.similar.enumerated() { lists.append((subject: .item(items[item]), items: try encoded(list))) }
        for chunk in stride(from: 0, to: lists.count, by: 2_000) {
            let part = Array(lists[chunk..<min(chunk + 2_000, lists.count)])
            try await platform.transaction { [models] transaction in try await models.writeLists(part, model: record.id, on: transaction.sql) }
        }
        if case .als(let model) = output.model {
            let factors = try FactorModel(items: items, itemFactors: model.itemFactors, parameters: record.parameters.alsParameters).encoded()
            try await platform.transaction { [models] transaction in try await models.saveFactors(factors, model: record.id, on: transaction.sql) }
        }
    }
}

/// What a training fit produces before it is stored.
struct TrainingOutput: Sendable {
    var model: TrainedModel
    var seconds: Double
    var userLists: [[ScoredItem]]
    var similar: [[ScoredItem]]
    var popular: [ScoredItem]
}
