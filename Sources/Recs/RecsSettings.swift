import ApusCore

/// What the recommendations module reads from the node's settings.
struct RecsSettings: Sendable {
    /// Threads training uses (`APUS_RECS_THREADS`); all cores unless set.
    var threads: Int
    /// How often a model is trained on its own (`APUS_RECS_TRAIN_EVERY`, seconds); never unless set.
    var trainEvery: Double?
    /// The model the schedule trains (`APUS_RECS_SCHEDULED_MODEL`).
    var scheduledModel = "als"
    /// Items per precomputed list (`APUS_RECS_LIST_SIZE`).
    var listSize = 100
    /// Users and items with fewer interactions are left out of training (`APUS_RECS_MIN_USER_INTERACTIONS`,
    /// `APUS_RECS_MIN_ITEM_INTERACTIONS`); they are served the popularity list.
    var minimumUserInteractions = 1
    var minimumItemInteractions = 1
    /// Half-life of an interaction's weight in seconds (`APUS_RECS_HALF_LIFE`); no decay unless set.
    var halfLife: Double?
    /// The share of each user's newest items held out to evaluate a model (`APUS_RECS_HOLDOUT`).
    var holdout = 0.2
    /// How much worse (relative NDCG@10) a model may be than the published one and still be
    /// published (`APUS_RECS_GATE_MARGIN`).
    var gateMargin = 0.02
    /// Weights of the kinds of interaction (`APUS_RECS_WEIGHT_<KIND>`).
    var weights: [InteractionKind: Double] = [.view: 1, .like: 1, .rating: 1, .cart: 2, .purchase: 3]
    /// The most items (after the minimum counts) EASE trains on (`APUS_RECS_EASE_MAX_ITEMS`):
    /// it inverts an items × items matrix, cubic in their number.
    var easeMaxItems = 3_000
    /// Other modules' events that become interactions (`APUS_RECS_EVENTS`; empty turns it off).
    var eventMappings: [EventMapping] = []
    /// Interactions one request may carry (`APUS_RECS_MAX_BATCH`).
    var maxBatch = 1_000
    /// Models no longer served that keep their lists, so they can be published again, newest
    /// first (`APUS_RECS_KEEP_MODELS`); older ones' lists and factors are removed.
    var keepModels = 3

    init(_ settings: Settings, cores: Int) throws(ConfigurationError) {
        threads = try settings.integer("APUS_RECS_THREADS", in: 1...1_024, default: max(1, cores))
        if settings.string("APUS_RECS_TRAIN_EVERY") != nil { trainEvery = try settings.seconds("APUS_RECS_TRAIN_EVERY", default: 0) }
        if let model = settings.string("APUS_RECS_SCHEDULED_MODEL") {
            guard ModelKind(rawValue: model) != nil else {
                throw .invalid("APUS_RECS_SCHEDULED_MODEL", "'\(model)' is not one of \(ModelKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            scheduledModel = model
        }
        listSize = try settings.integer("APUS_RECS_LIST_SIZE", in: 1...1_000, default: listSize)
        minimumUserInteractions = try settings.integer("APUS_RECS_MIN_USER_INTERACTIONS", in: 1...1_000_000, default: minimumUserInteractions)
        minimumItemInteractions = try settings.integer("APUS_RECS_MIN_ITEM_INTERACTIONS", in: 1...1_000_000, default: minimumItemInteractions)
        if settings.string("APUS_RECS_HALF_LIFE") != nil { halfLife = try settings.seconds("APUS_RECS_HALF_LIFE", default: 0) }
        holdout = try settings.number("APUS_RECS_HOLDOUT", in: 0...0.9) ?? holdout
        gateMargin = try settings.number("APUS_RECS_GATE_MARGIN", in: 0...1) ?? gateMargin
        for kind in InteractionKind.allCases {
            let name = "APUS_RECS_WEIGHT_\(kind.rawValue.uppercased())"
            if let weight = try settings.number(name, in: 0...1_000_000) { weights[kind] = weight }
        }
        easeMaxItems = try settings.integer("APUS_RECS_EASE_MAX_ITEMS", in: 1...50_000, default: easeMaxItems)
        eventMappings = try EventMapping.parse(settings.string("APUS_RECS_EVENTS") ?? EventMapping.defaults).get()
        maxBatch = try settings.integer("APUS_RECS_MAX_BATCH", in: 1...100_000, default: maxBatch)
        keepModels = try settings.integer("APUS_RECS_KEEP_MODELS", in: 0...1_000, default: keepModels)
    }
}

extension Settings {
    /// A number in `range`, or `nil` when unset.
    fileprivate func number(_ name: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), range.contains(value) else {
            throw .invalid(name, "'\(text)' is not a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}
