import ApusCore
import ApusKit
import Foundation

extension RecsService {
    /// Batches with at most this many users are folded in before the answer; larger ones
    /// (imports) by a job.
    static let inlineFoldInUsers = 10

    /// Stores `batch` and brings its users' lists up to date with the published model.
    func record(_ batch: [NewInteraction]) async throws -> Int {
        let rows = batch.map {
            StoredInteraction(user: $0.user, item: $0.item, kind: $0.kind, weight: weight(of: $0), at: $0.at.epochMilliseconds)
        }
        let users = Array(Set(batch.map(\.user))).sorted()
        let inline = users.count <= Self.inlineFoldInUsers
        let stored = try await platform.transaction { [interactions] transaction in
            let stored = try await interactions.insert(rows, on: transaction.sql)
            if !inline, stored > 0 { try await transaction.enqueue(FoldIn.job(users: users)) }
            return stored
        }
        metrics.stored(stored)
        if inline, stored > 0 {
            for user in users { try await foldIn(user) }
        }
        return stored
    }

    /// Sets an item's metadata.
    func describe(_ item: ItemMetadata) async throws {
        try await platform.transaction { [interactions] transaction in
            try await interactions.upsert(item, on: transaction.sql)
        }
    }

    /// Recomputes `user`'s list against the published model from the user's whole history,
    /// without retraining, and stores it.
    func foldIn(_ user: String) async throws {
        guard let current = try await current(), let list = try await foldedList(user, model: current, includingSeen: false) else { return }
        let text = try RecsJSON.string(list)
        try await platform.transaction { [models, lists] transaction in
            try await models.writeLists([(subject: .user(user), items: text)], model: current.id, on: transaction.sql)
            transaction.invalidate(lists, ListKey(model: current.id, subject: .user(user)))
        }
        metrics.foldedIn()
    }

    /// `user`'s list against `model` from the user's whole history: ALS solves the user's
    /// vector against the model's item factors, kNN and EASE sum the neighbours of the user's
    /// items. Items the user has are left out unless `includingSeen`. `nil` when the model
    /// cannot score the user (its factors are gone).
    func foldedList(_ user: String, model current: CurrentModel, includingSeen: Bool) async throws -> [Recommendation]? {
        let history = try await platform.read { [interactions] sql in try await interactions.history(of: user, on: sql) }
        let weights = Dictionary(history.map { ($0.item, weightAfterDecay($0)) }, uniquingKeysWith: +)
        switch current.kind {
        case .als:
            guard let model = try await factorModel(current.id) else { return nil }
            let entries = weights.compactMap { item, weight in model.itemIndex[item].map { (item: $0, weight: Float(weight)) } }
            let vector = ImplicitALS.foldIn(entries, itemFactors: model.itemFactors, gram: model.gram, parameters: model.parameters)
            let seen = includingSeen ? [] : Set(entries.map(\.item))
            return TopItems.select(model.itemFactors.times(vector), count: settings.listSize, excluding: seen).map {
                Recommendation(item: model.items[$0.index], score: Double($0.score))
            }
        case .itemKNN, .ease:
            var scores: [String: Double] = [:]
            for (item, weight) in weights {
                for neighbour in try await storedList(model: current.id, subject: .item(item))?.items ?? [] {
                    scores[neighbour.item, default: 0] += weight * neighbour.score
                }
            }
            return scores.filter { includingSeen || weights[$0.key] == nil }
                .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .prefix(settings.listSize).map { Recommendation(item: $0.key, score: $0.value) }
        case .popularity:
            return (try await storedList(model: current.id, subject: .popular)?.items ?? []).filter { includingSeen || weights[$0.item] == nil }
        }
    }

    /// A stored interaction's weight, decayed when a half-life is set.
    func weightAfterDecay(_ interaction: StoredInteraction) -> Double {
        guard let halfLife = settings.halfLife, halfLife > 0 else { return interaction.weight }
        let age = Double(max(0, platform.now().epochMilliseconds - interaction.at)) / 1000
        return interaction.weight * pow(0.5, age / halfLife)
    }

    func factorModel(_ id: String) async throws -> FactorModel? {
        try await factors.model(id) { [models, platform] in
            guard let text = try await platform.read.primary({ sql in try await models.factors(model: id, on: sql) }) else { return nil }
            return try FactorModel.decode(text)
        }
    }
}

/// The job that folds in the users of a large batch of interactions.
enum FoldIn {
    static let kind = "recs.fold-in"

    struct Payload: Codable { var users: [String] }

    static func job(users: [String]) throws -> NewJob {
        try NewJob(kind: kind, json: Payload(users: users))
    }

    static func handler(service: RecsService) -> JobHandler {
        JobHandler(kind: kind) { job in
            for user in try job.decode(Payload.self).users { try await service.foldIn(user) }
        }
    }
}
