import ApusCore
import Foundation

/// A trained (or training) model: what was asked, what came of it.
struct ModelRecord: Encodable, Sendable {
    var id: String
    var model: ModelKind
    var status: ModelStatus
    var parameters: TrainingRequest
    var evaluation: Evaluation?
    var stats: TrainingStats?
    var error: String?
    /// The pipeline's steps so far, each with its state, progress and figures.
    var steps: [StepRecord] = []
    var createdAt: Date
    var finishedAt: Date?
    var publishedAt: Date?
    /// Whether nodes serve from it now.
    var current = false
}

/// A model's scores on the hold-out: each user's newest items.
struct Evaluation: Codable, Sendable, Equatable {
    var ndcgAt10: Double
    var precisionAt10: Double
    var recallAt10: Double
    var coverage: Double
    var users: Int

    enum CodingKeys: String, CodingKey {
        case ndcgAt10 = "ndcg_at_10", precisionAt10 = "precision_at_10", recallAt10 = "recall_at_10", coverage, users
    }
}

/// What a run trained on and how long it took.
struct TrainingStats: Codable, Sendable, Equatable {
    var users: Int
    var items: Int
    var interactions: Int
    /// How long the full fit took (a rejected model was never fitted on everything).
    var trainingSeconds: Double?
    var secondsPerIteration: Double?
    var pipelineSeconds: Double
    var threads: Int

    enum CodingKeys: String, CodingKey {
        case users, items, interactions, threads
        case trainingSeconds = "training_seconds", secondsPerIteration = "seconds_per_iteration", pipelineSeconds = "pipeline_seconds"
    }
}

/// The JSON the module keeps in its own columns: keys exactly as written, never converted.
enum RecsJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
    static let decoder = JSONDecoder()

    static func string(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ text: String) throws -> Value {
        try decoder.decode(type, from: Data(text.utf8))
    }
}
