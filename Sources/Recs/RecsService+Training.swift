import ApusCore
import ApusKit
import Foundation

extension RecsService {
    /// Records a model to train and queues its run.
    func requestTraining(_ request: TrainingRequest) async throws -> ModelRecord {
        try await platform.transaction { [models] transaction in
            let record = ModelRecord(
                id: OpaqueID.make("mdl", at: transaction.now()), model: request.model, status: .queued,
                parameters: request.resolved, createdAt: transaction.now()
            )
            try await models.insert(record, on: transaction.sql)
            try await transaction.enqueue(TrainModel.job(model: record.id))
            return record
        }
    }

    func model(_ id: String) async throws -> ModelRecord? {
        // The primary: a model's status decides a republish, and its client polls it.
        try await platform.read.primary { [models] sql in try await models.find(id, on: sql) }
    }

    func listModels(limit: Int, after: String?) async throws -> [ModelRecord] {
        try await platform.read { [models] sql in try await models.list(limit: limit, after: after, on: sql) }
    }

    /// Publishes an earlier model again (its lists are kept with it).
    func republish(_ id: String) async throws -> ModelRecord {
        guard let record = try await model(id) else { throw Problem.notFound("No model \(id).") }
        guard record.status == .published || record.status == .retired else {
            throw Problem(.conflict, detail: "Model \(id) is \(record.status.rawValue): only a model that was published can be published again.")
        }
        try await publish(record)
        return try await model(id) ?? record
    }

    /// The pipeline for model `id`: extract, transform, load, train, evaluate, publish. Runs on
    /// one node at a time; the CPU work runs off the concurrency pool, on every core.
    func train(_ id: String, progress: @escaping @Sendable (TrainingStep) -> Void = { _ in }) async throws {
        guard let record = try await model(id), record.status == .queued || record.status == .training else { return }
        let ran: Void? = try await platform.withExclusiveLock(RecsModule.name, "train") {
            try await runPipeline(record, progress: progress)
        }
        if ran == nil { throw JobFailure.retry(after: 5, reason: "another node is training") }
    }

    private func runPipeline(_ record: ModelRecord, progress: @escaping @Sendable (TrainingStep) -> Void) async throws {
        let started = ContinuousClock.now
        try await platform.transaction { [models] transaction in try await models.setStatus(record.id, .training, on: transaction.sql) }
        do {
            // Extract and transform.
            progress(.extract)
            let rows = try await platform.read { [interactions] sql in try await interactions.all(on: sql) }
            let now = platform.now().epochMilliseconds
            let dataset = Dataset(rows, now: now, halfLife: settings.halfLife, minimumUser: settings.minimumUserInteractions, minimumItem: settings.minimumItemInteractions)
            guard !dataset.pairs.isEmpty else { throw TrainingRefused("There are no interactions to train on.") }
            let request = record.parameters
            let threads = settings.threads
            if request.model == .ease, dataset.items.count > settings.easeMaxItems {
                throw TrainingRefused(
                    "EASE inverts an items × items matrix: \(dataset.items.count) items is more than APUS_RECS_EASE_MAX_ITEMS (\(settings.easeMaxItems)). Raise it, raise APUS_RECS_MIN_ITEM_INTERACTIONS, or train als."
                )
            }
            // Evaluate on each user's newest items, then decide.
            var evaluation: Evaluation?
            if request.evaluate ?? true {
                progress(.evaluate)
                let holdout = settings.holdout
                evaluation = await CPUWork.run {
                    let (train, heldOut) = dataset.split(holdout: holdout)
                    let model = TrainedModel.train(request, on: train, threads: threads)
                    let top = model.topItems(train, count: 10, threads: threads).map { $0.map(\.index) }
                    let metrics = RankingMetrics.evaluate(recommended: top, heldOut: heldOut, k: 10, catalogue: dataset.items.count)
                    return Evaluation(ndcgAt10: metrics.ndcg, precisionAt10: metrics.precision, recallAt10: metrics.recall, coverage: metrics.coverage, users: metrics.users)
                }
            }
            // Train on everything, timed.
            let listSize = settings.listSize
            let output = await CPUWork.run { () -> TrainingOutput in
                let matrix = dataset.matrix
                let began = ContinuousClock.now
                let model = TrainedModel.train(request, on: matrix, threads: threads) { iteration in
                    progress(.train(iteration: iteration, of: request.iterations ?? 1))
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
            let stats = TrainingStats(
                users: dataset.users.count, items: dataset.items.count, interactions: dataset.pairs.count,
                trainingSeconds: output.seconds,
                secondsPerIteration: request.model == .als ? output.seconds / Double(max(1, request.iterations ?? 1)) : nil,
                pipelineSeconds: (ContinuousClock.now - started).seconds, threads: threads
            )
            if let evaluation, let refusal = try await gate(evaluation) {
                try await finish(record, .rejected, evaluation: evaluation, stats: stats, error: refusal, started: started)
                return
            }
            progress(.publish)
            try await store(output, of: record, dataset: dataset)
            // Recorded and made current in one transaction: a client that sees the status
            // `published` is served from the model.
            try await publish(record) { [models, evaluation] transaction in
                try await models.finish(record.id, status: .published, evaluation: evaluation, stats: stats, error: nil, at: transaction.now(), on: transaction.sql)
            }
            metrics.trained(.published, seconds: (ContinuousClock.now - started).seconds)
        } catch let refused as TrainingRefused {
            try await finish(record, .failed, evaluation: nil, stats: nil, error: refused.message, started: started)
        } catch {
            platform.logger.error("recommendation training failed", metadata: ["model": "\(record.id)", "error": "\(error)"])
            try await finish(record, .failed, evaluation: nil, stats: nil, error: "Training failed: the server's log has the details.", started: started)
        }
    }

    /// `nil` when `evaluation` may replace the published model; else why not.
    private func gate(_ evaluation: Evaluation) async throws -> String? {
        guard let current = try await current(), let published = try await model(current.id)?.evaluation else { return nil }
        let floor = published.ndcgAt10 * (1 - settings.gateMargin)
        guard evaluation.ndcgAt10 < floor else { return nil }
        return "NDCG@10 \(Self.format(evaluation.ndcgAt10)) is below the published model's \(Self.format(published.ndcgAt10)) less the \(Self.format(settings.gateMargin * 100))% margin."
    }

    private static func format(_ value: Double) -> String { String(format: "%.4f", value) }

    /// Writes the model's lists and factors under its id, in chunks: nothing serves from them
    /// until the model is published.
    private func store(_ output: TrainingOutput, of record: ModelRecord, dataset: Dataset) async throws {
        func encoded(_ items: [ScoredItem]) throws -> String {
            try RecsJSON.string(items.map { Recommendation(item: dataset.items[$0.index], score: Double($0.score)) })
        }
        var lists: [(subject: String, items: String)] = [(subject: "popular", items: try encoded(output.popular))]
        for (user, items) in output.userLists.enumerated() { lists.append((subject: "u:\(dataset.users[user])", items: try encoded(items))) }
        for (item, items) in output.similar.enumerated() { lists.append((subject: "i:\(dataset.items[item])", items: try encoded(items))) }
        for chunk in stride(from: 0, to: lists.count, by: 2_000) {
            let part = Array(lists[chunk..<min(chunk + 2_000, lists.count)])
            try await platform.transaction { [models] transaction in try await models.writeLists(part, model: record.id, on: transaction.sql) }
        }
        if case .als(let model) = output.model {
            let factors = try FactorModel(items: dataset.items, itemFactors: model.itemFactors, parameters: record.parameters.alsParameters).encoded()
            try await platform.transaction { [models] transaction in try await models.saveFactors(factors, model: record.id, on: transaction.sql) }
        }
    }

    private func publish(_ record: ModelRecord, recording: @Sendable (Transaction) async throws -> Void = { _ in }) async throws {
        try await platform.transaction { [models, currentModel] transaction in
            try await recording(transaction)
            try await models.publish(record.id, at: transaction.now(), on: transaction.sql)
            try await transaction.emit(RecsEvents.modelPublished, aggregate: record.id, json: RecsEvents.Published(id: record.id, model: record.model.rawValue))
            transaction.invalidate(currentModel, "current")
        }
    }

    private func finish(_ record: ModelRecord, _ status: ModelStatus, evaluation: Evaluation?, stats: TrainingStats?, error: String?, started: ContinuousClock.Instant) async throws {
        try await platform.transaction { [models] transaction in
            try await models.finish(record.id, status: status, evaluation: evaluation, stats: stats, error: error, at: transaction.now(), on: transaction.sql)
        }
        metrics.trained(status, seconds: (ContinuousClock.now - started).seconds)
    }
}

/// Where a training run is, for a progress bar.
enum TrainingStep: Sendable, Equatable {
    case extract, evaluate, publish
    case train(iteration: Int, of: Int)
}

/// What a run produces before it is stored.
struct TrainingOutput: Sendable {
    var model: TrainedModel
    var seconds: Double
    var userLists: [[ScoredItem]]
    var similar: [[ScoredItem]]
    var popular: [ScoredItem]
}

/// A run that cannot train, with the reason the model record shows.
struct TrainingRefused: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
