import ApusCore
import ApusKit
import Foundation
import Synchronization

extension RecsService {
    /// Records a model to train and, with `queue`, queues the first step of its run.
    func requestTraining(_ request: TrainingRequest, queue: Bool = true) async throws -> ModelRecord {
        try await platform.transaction { [models] transaction in
            let record = ModelRecord(
                id: OpaqueID.make("mdl", at: transaction.now()), model: request.model, status: .queued,
                parameters: request.resolved, createdAt: transaction.now()
            )
            try await models.insert(record, on: transaction.sql)
            if queue { try await transaction.enqueue(StepJob.job(.extract, model: record.id)) }
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
        guard try await platform.read.primary({ [models] sql in try await models.hasLists(id, on: sql) }) else {
            throw Problem(
                .conflict,
                detail: "Model \(id)'s lists were removed: APUS_RECS_KEEP_MODELS (\(settings.keepModels)) keeps those of the most recent models only. Train it again."
            )
        }
        try await publish(record)
        return try await model(id) ?? record
    }

    /// A whole run of model `id` in this process, step after step (`apus recs train`).
    func train(_ id: String, progress: @escaping @Sendable (PipelineStep, Double) -> Void = { _, _ in }) async throws {
        var step: PipelineStep? = .extract
        while let current = step {
            step = try await run(current, model: id, queue: false, progress: progress)
        }
    }

    /// Runs `step` of model `id`'s run, on one node at a time; the CPU work runs off the
    /// concurrency pool, on every core. Returns the step that comes next, or `nil` when the run
    /// has ended. With `queue`, the next step's job is queued in the transaction that records
    /// this one done, so a run never stops between steps.
    func run(
        _ step: PipelineStep, model id: String, queue: Bool, progress: @escaping @Sendable (PipelineStep, Double) -> Void = { _, _ in }
    ) async throws -> PipelineStep? {
        let ran: PipelineStep?? = try await platform.withExclusiveLock(RecsModule.name, "train") {
            // Read under the lock: a step of this run may have ended while another node held it.
            guard let record = try await model(id), record.status == .queued || record.status == .training else { return nil }
            // A step whose later steps have run is a job that ran twice (its node died after
            // queueing the next): nothing is left for it to do.
            let order = PipelineStep.allCases
            if record.steps.contains(where: { order.firstIndex(of: $0.step)! > order.firstIndex(of: step)! }) { return nil }
            return try await perform(step, of: record, queue: queue, progress: progress)
        }
        guard let ran else { throw JobFailure.retry(after: StepJob.lockRetrySeconds, reason: "another run is training") }
        return ran
    }

    private func perform(
        _ step: PipelineStep, of record: ModelRecord, queue: Bool, progress: @escaping @Sendable (PipelineStep, Double) -> Void
    ) async throws -> PipelineStep? {
        var record = record
        let began = ContinuousClock.now
        record.status = .training
        record.steps.removeAll { $0.step == step }  // a step run again (its job retried) replaces its record
        record.steps.append(StepRecord(step: step, state: .running, startedAt: platform.now(), metrics: [:]))
        try await platform.transaction { [models, record] transaction in try await models.saveRun(record, on: transaction.sql) }
        progress(step, 0)
        let reporter = StepProgress(model: record.id, steps: record.steps, service: self) { progress(step, $0) }
        let artefacts = RunArtefacts(store: platform.objects, model: record.id)
        let started = record
        do {
            let outcome = try await reporter.whileRunning { try await self.body(of: step, record: started, artefacts: artefacts, reporter: reporter) }
            let last = record.steps.count - 1
            record.steps[last].state = .done
            record.steps[last].finishedAt = platform.now()
            record.steps[last].seconds = (ContinuousClock.now - began).seconds
            record.steps[last].progress = 1
            record.steps[last].metrics = outcome.metrics
            if let evaluation = outcome.evaluation { record.evaluation = evaluation }
            if let stats = outcome.stats { record.stats = stats }
            var next = outcome.ending == nil ? step.next : nil
            if next == .evaluate, record.parameters.evaluate == false {
                record.steps.append(StepRecord(step: .evaluate, state: .skipped, startedAt: platform.now(), finishedAt: platform.now(), metrics: [:]))
                next = .train
            }
            metrics.step(step, seconds: (ContinuousClock.now - began).seconds)
            try await end(record, with: outcome.ending, next: next, queue: queue)
            progress(step, 1)
            return next
        } catch {
            let message: String
            if let refused = error as? TrainingRefused {
                message = refused.message
            } else {
                platform.logger.error("recommendation training failed", metadata: ["model": "\(record.id)", "step": "\(step.rawValue)", "error": "\(error)"])
                message = "Training failed in its \(step.rawValue) step: the server's log has the details."
            }
            // From the record as the step began: the step's end may have changed it before failing.
            var failed = started
            failed.steps[failed.steps.count - 1].state = .failed
            failed.steps[failed.steps.count - 1].finishedAt = platform.now()
            failed.steps[failed.steps.count - 1].seconds = (ContinuousClock.now - began).seconds
            try await end(failed, with: .failed(message), next: nil, queue: false)
            return nil
        }
    }

    /// Records the step's end, and the run's if it ends here, with the next step's job queued
    /// in the same transaction. A published model is recorded and made current at once: a
    /// client that sees the status `published` is served from the model.
    private func end(_ record: ModelRecord, with ending: RunEnding?, next: PipelineStep?, queue: Bool) async throws {
        var record = record
        guard let ending else {
            try await platform.transaction { [models, record] transaction in
                try await models.saveRun(record, on: transaction.sql)
                if queue, let next { try await transaction.enqueue(StepJob.job(next, model: record.id)) }
            }
            return
        }
        record.finishedAt = platform.now()
        let pipelineSeconds = record.finishedAt!.timeIntervalSince(record.steps.first?.startedAt ?? record.createdAt)
        record.stats?.pipelineSeconds = pipelineSeconds
        switch ending {
        case .published:
            let keep = settings.keepModels
            record.status = .published
            try await publish(record) { [models, record] transaction in
                try await models.saveRun(record, on: transaction.sql)
                try await models.prune(keeping: keep, publishing: record.id, on: transaction.sql)
            }
            metrics.trained(.published, seconds: pipelineSeconds)
        case .rejected(let reason), .failed(let reason):
            record.status = if case .rejected = ending { .rejected } else { .failed }
            record.error = reason
            try await platform.transaction { [models, record] transaction in try await models.saveRun(record, on: transaction.sql) }
            metrics.trained(record.status, seconds: pipelineSeconds)
        }
        try await removeEndedRunsOutputs()
    }

    /// Removes the step outputs of every run that has ended: this one's, and any a node that
    /// died between recording a run's end and removing them left behind.
    private func removeEndedRunsOutputs() async throws {
        let objects = try await platform.objects.list(prefix: "recs/runs")
        let runs = Set(objects.compactMap { $0.key.path.split(separator: "/").dropFirst(2).first.map(String.init) })
        // Only runs this database knows to have ended: a store may be shared more widely.
        for run in runs {
            if let model = try await model(run), model.status != .queued, model.status != .training {
                try await RunArtefacts(store: platform.objects, model: run).removeAll()
            }
        }
    }

    private func body(of step: PipelineStep, record: ModelRecord, artefacts: RunArtefacts, reporter: StepProgress) async throws -> StepOutcome {
        switch step {
        case .extract: try await extract(reporter: reporter)
        case .transform: try await transform(record, artefacts: artefacts)
        case .load: try await load(record, artefacts: artefacts)
        case .evaluate: try await evaluate(record, artefacts: artefacts, reporter: reporter)
        case .train: try await trainFully(record, artefacts: artefacts, reporter: reporter)
        case .publish: StepOutcome(ending: .published)
        }
    }

    private func publish(_ record: ModelRecord, recording: @Sendable (Transaction) async throws -> Void = { _ in }) async throws {
        try await platform.transaction { [models, currentModel] transaction in
            try await models.publish(record.id, at: transaction.now(), on: transaction.sql)
            try await recording(transaction)
            try await transaction.emit(RecsEvents.modelPublished, aggregate: record.id, json: RecsEvents.Published(id: record.id, model: record.model.rawValue))
            transaction.invalidate(currentModel, "current")
        }
    }
}

/// How a run ends at a step.
enum RunEnding: Sendable, Equatable {
    case published
    case rejected(String)
    case failed(String)
}

/// What a step did: its figures, and what it adds to the model record.
struct StepOutcome: Sendable {
    var metrics: [String: Double] = [:]
    var evaluation: Evaluation?
    var stats: TrainingStats?
    var ending: RunEnding?
}

/// A running step's progress, written to its model's record at most once a second, so a client
/// polling the model sees training move.
final class StepProgress: Sendable {
    private let model: String
    private let steps: [StepRecord]
    private let service: RecsService
    private let observe: @Sendable (Double) -> Void
    private let latest = Mutex<(fraction: Double?, metrics: [String: Double])>((nil, [:]))

    init(model: String, steps: [StepRecord], service: RecsService, observe: @escaping @Sendable (Double) -> Void) {
        self.model = model
        self.steps = steps
        self.service = service
        self.observe = observe
    }

    /// Called from any thread as the step goes.
    func report(_ fraction: Double) {
        latest.withLock { $0.fraction = fraction }
        observe(fraction)
    }

    /// A running figure, such as interactions read so far.
    func report(_ name: String, _ value: Double) {
        latest.withLock { $0.metrics[name] = value }
    }

    /// Runs `work`, writing the progress reported meanwhile every second until it ends.
    func whileRunning<Result: Sendable>(_ work: @Sendable () async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                var written: (Double?, [String: Double]) = (nil, [:])
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    let now = latest.withLock { $0 }
                    guard now.fraction != written.0 || now.metrics != written.1 else { continue }
                    written = now
                    var steps = steps
                    steps[steps.count - 1].progress = now.fraction
                    steps[steps.count - 1].metrics = now.metrics
                    try? await service.platform.transaction { [service, model, steps] transaction in
                        try await service.models.saveSteps(steps, model: model, on: transaction.sql)
                    }
                }
            }
            defer { group.cancelAll() }
            return try await work()
        }
    }
}

/// A run that cannot go on, with the reason the model record shows.
struct TrainingRefused: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
