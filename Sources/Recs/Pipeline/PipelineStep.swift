import Foundation

/// The steps of a training run, in order. Each runs as a job of its own (``StepJob``), on any
/// node, and hands the next its output through the object store (``RunArtefacts``).
enum PipelineStep: String, Codable, Sendable, CaseIterable {
    /// Interactions committed since the last run, added to the per-pair totals.
    case extract
    /// The totals weighed at this moment (half-life), minimum counts applied, users and items numbered.
    case transform
    /// The sparse user × item matrix, and the hold-out split when the run evaluates.
    case load
    /// A model trained on the split, scored on each user's newest items, and the gate.
    case evaluate
    /// The model trained on everything, its lists and factors stored.
    case train
    /// The model made the one every node serves.
    case publish

    /// The step after this one.
    var next: PipelineStep? {
        let all = Self.allCases
        let index = all.firstIndex(of: self)!
        return index + 1 < all.count ? all[index + 1] : nil
    }

    /// The job kind that runs it.
    var jobKind: String { "recs.\(rawValue)" }
}

/// What a model record shows of one step: its state, times, progress and figures.
struct StepRecord: Codable, Sendable, Equatable {
    enum State: String, Codable, Sendable {
        case running, done, skipped, failed
    }

    var step: PipelineStep
    var state: State
    var startedAt: Date
    var finishedAt: Date?
    var seconds: Double?
    /// From 0 to 1 where the step knows how far it is (training's iterations).
    var progress: Double?
    /// The step's own figures: interactions read, users, items, entries, NDCG…
    var metrics: [String: Double]

    enum CodingKeys: String, CodingKey {
        case step, state, progress, metrics, seconds
        case startedAt = "started_at", finishedAt = "finished_at"
    }
}
