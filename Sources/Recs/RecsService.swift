import ApusCore
import ApusKit
import Foundation

/// The recommendations module's domain: interactions in, the training pipeline, and serving
/// precomputed lists. It owns the transactions; the stores only run SQL.
final class RecsService: Sendable {
    let platform: Platform
    let settings: RecsSettings
    let interactions = InteractionStore()
    let models = ModelStore()
    let pairs = PairStore()
    /// The published model (`current` → its id and kind).
    let currentModel: BusInvalidatedCache<String, CurrentModel>
    /// Precomputed lists by model and subject, rendered.
    let lists: BusInvalidatedCache<ListKey, RenderedList>
    /// A factor model's item factors, loaded once per node per model.
    let factors = FactorCache()
    let metrics: RecsMetrics

    init(platform: Platform, settings: RecsSettings) {
        self.platform = platform
        self.settings = settings
        currentModel = platform.cache("recs.current", capacity: 1, lifetime: .seconds(60))
        lists = platform.cache("recs.lists", capacity: 50_000, lifetime: .seconds(3600))
        metrics = RecsMetrics(registry: platform.metrics)
    }

    /// The published model, if any.
    func current() async throws -> CurrentModel? {
        // Cache loads read the primary: a replica's older answer would stay cached.
        // Captures `self`: copying `platform` into the closure cost a retain of each of its members per request.
        try await currentModel.value(for: "current") { [self] in
            try await platform.read.primary { [models] sql in
                guard let id = try await models.currentID(on: sql), let record = try await models.find(id, on: sql) else { return nil }
                return CurrentModel(id: id, kind: record.model)
            }
        }
    }

    /// An interaction's weight: its own, else its kind's.
    func weight(of interaction: NewInteraction) -> Double {
        interaction.weight ?? settings.weights[interaction.kind] ?? 1
    }
}

/// The model nodes serve from.
struct CurrentModel: Sendable, Equatable {
    let id: String
    let kind: ModelKind
    /// The ends of the answers it serves, from a user's or item's own list or from popularity.
    let personal: ServedTail
    let popularity: ServedTail

    init(id: String, kind: ModelKind) {
        self.id = id
        self.kind = kind
        personal = ServedTail(model: id, strategy: "personal")
        popularity = ServedTail(model: id, strategy: "popularity")
    }
}

/// One recommended item.
struct Recommendation: Codable, Sendable, Equatable {
    var item: String
    var score: Double
}

/// Item factors of ALS models, by model id, loaded on first use on each node.
actor FactorCache {
    private var loaded: [String: FactorModel] = [:]

    func model(_ id: String, load: () async throws -> FactorModel?) async throws -> FactorModel? {
        if let model = loaded[id] { return model }
        guard let model = try await load() else { return nil }
        // One published model at a time is what serving needs; keep the newest two.
        if loaded.count >= 2 { loaded.removeAll() }
        loaded[id] = model
        return model
    }
}

/// What folding a user into an ALS model needs.
struct FactorModel: Sendable {
    var items: [String]
    var itemIndex: [String: Int]
    var itemFactors: DenseMatrix
    var gram: [Float]
    var parameters: ImplicitALS.Parameters

    init(items: [String], itemFactors: DenseMatrix, parameters: ImplicitALS.Parameters) {
        self.items = items
        self.itemIndex = Dictionary(uniqueKeysWithValues: items.enumerated().map { ($1, $0) })
        self.itemFactors = itemFactors
        self.gram = itemFactors.gram(addingToDiagonal: parameters.regularization)
        self.parameters = parameters
    }

    /// Stored form: item ids, shape, parameters and the factors as base64 little-endian floats.
    struct Stored: Codable {
        var items: [String]
        var factors: Int
        var parameters: ImplicitALS.Parameters
        var data: String
    }

    func encoded() throws -> String {
        let bytes = itemFactors.storage.withUnsafeBufferPointer { Data(buffer: $0) }
        return try RecsJSON.string(Stored(items: items, factors: itemFactors.columnCount, parameters: parameters, data: bytes.base64EncodedString()))
    }

    static func decode(_ text: String) throws -> FactorModel {
        let stored = try RecsJSON.decode(Stored.self, text)
        guard let bytes = Data(base64Encoded: stored.data), bytes.count == stored.items.count * stored.factors * 4 else {
            throw Problem(.internalServerError, detail: "A model's stored factors are damaged.")
        }
        let floats = bytes.withUnsafeBytes { raw in Array(raw.bindMemory(to: Float.self)) }
        return FactorModel(items: stored.items, itemFactors: DenseMatrix(rows: stored.items.count, columns: stored.factors, storage: floats), parameters: stored.parameters)
    }
}
