import ApusCore
import ApusKit
import Foundation

/// What a user did with an item. Each kind has a weight (settings), unless the interaction
/// brings its own.
enum InteractionKind: String, Codable, Sendable, CaseIterable {
    case view, like, cart, purchase, rating
}

/// The models the module trains.
enum ModelKind: String, Codable, Sendable, CaseIterable {
    /// Implicit ALS with conjugate gradient.
    case als
    /// Item-item cosine nearest neighbours.
    case itemKNN = "item_knn"
    /// Steck's closed-form item × item model.
    case ease
    /// Items by how many users have them, with time decay when a half-life is set.
    case popularity
}

/// Where a model is in its life.
enum ModelStatus: String, Codable, Sendable {
    case queued, training, published, rejected, failed
    /// Superseded by a later published model; it can be published again.
    case retired
}

/// One interaction as a client sends it.
struct NewInteraction: Decodable, Sendable {
    var user: String
    var item: String
    var kind: InteractionKind
    var weight: Double?
    var at: Date
}

/// The parameters of a training run, as asked for and as recorded with the model.
struct TrainingRequest: Codable, Sendable, Equatable {
    var model: ModelKind
    var factors: Int?
    var regularization: Double?
    var alpha: Double?
    var iterations: Int?
    var seed: UInt64?
    var neighbours: Int?
    /// Whether to hold out each user's newest items, score the model on them and publish only
    /// past the gate; `false` trains on everything and publishes.
    var evaluate: Bool?

    var alsParameters: ImplicitALS.Parameters {
        ImplicitALS.Parameters(
            factors: factors ?? 64, regularization: Float(regularization ?? 0.01), alpha: Float(alpha ?? 1),
            iterations: iterations ?? 15, seed: seed ?? 0
        )
    }

    /// Every field set, so the record says exactly what was trained.
    var resolved: TrainingRequest {
        var copy = self
        switch model {
        case .als:
            let parameters = alsParameters
            copy.factors = parameters.factors
            copy.regularization = Double(parameters.regularization)
            copy.alpha = Double(parameters.alpha)
            copy.iterations = parameters.iterations
            copy.seed = parameters.seed
        case .itemKNN:
            copy.neighbours = neighbours ?? 50
        case .ease:
            copy.regularization = regularization ?? 250
        case .popularity:
            break
        }
        copy.evaluate = evaluate ?? true
        return copy
    }
}
