public import ApusCore
import NIOCore
import Foundation

/// `apus recs train`: one training run in this process, as the job would run it, with its
/// steps reported as it goes.
public struct RecsTraining: Sendable {
    /// How a run ended.
    public struct Outcome: Sendable {
        public var id: String
        public var status: String
        public var ndcgAt10: Double?
        public var error: String?
        public var secondsPerIteration: Double?
    }

    let service: RecsService

    public init(platform: Platform) throws {
        service = RecsService(platform: platform, settings: try RecsSettings(platform.settings, cores: System.coreCount))
    }

    /// Trains `model` with the given parameters (nil: the defaults); `progress` gets a line per
    /// step and the fraction of the run done.
    public func run(
        model: String, factors: Int?, regularization: Double?, alpha: Double?, iterations: Int?, seed: UInt64?, evaluate: Bool,
        progress: @escaping @Sendable (String, Double) -> Void = { _, _ in }
    ) async throws -> Outcome {
        guard let kind = ModelKind(rawValue: model) else {
            throw Problem(.unprocessableContent, detail: "model is one of \(ModelKind.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let request = TrainingRequest(model: kind, factors: factors, regularization: regularization, alpha: alpha, iterations: iterations, seed: seed, evaluate: evaluate)
        try Problem.throwIfInvalid(request.errors)
        let record = try await service.requestTraining(request, queue: false)
        try await service.train(record.id) { step, fraction in
            // Each step's share of the bar: the model steps take most of a run.
            let (start, width): (Double, Double) = switch step {
            case .extract: (0, 0.05)
            case .transform: (0.05, 0.05)
            case .load: (0.1, 0.05)
            case .evaluate: (0.15, 0.35)
            case .train: (0.5, 0.45)
            case .publish: (0.95, 0.05)
            }
            progress(step.rawValue, start + width * fraction)
        }
        guard let done = try await service.model(record.id) else { throw Problem.notFound("The model disappeared.") }
        return Outcome(
            id: done.id, status: done.status.rawValue, ndcgAt10: done.evaluation?.ndcgAt10, error: done.error,
            secondsPerIteration: done.stats?.secondsPerIteration
        )
    }
}
