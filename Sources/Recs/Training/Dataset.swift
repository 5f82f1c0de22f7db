import ApusKit
import Foundation

/// An interaction as it is stored.
struct StoredInteraction: Sendable {
    var user: String
    var item: String
    var kind: InteractionKind
    var weight: Double
    /// Epoch milliseconds.
    var at: Int64
}

/// The transform step's output: users and items numbered, each (user, item) pair once with
/// the sum of its interactions' weights (decayed when a half-life is set) and its latest time.
struct Dataset: Sendable {
    struct Pair: Sendable {
        var user: Int
        var item: Int
        var weight: Float
        var at: Int64
    }

    var users: [String] = []
    var items: [String] = []
    var userIndex: [String: Int] = [:]
    var itemIndex: [String: Int] = [:]
    var pairs: [Pair] = []

    /// Dedupes, weighs and decays `interactions`, then drops users and items below the minimum
    /// counts (one pass each, items first).
    init(_ interactions: [StoredInteraction], now: Int64, halfLife: Double?, minimumUser: Int, minimumItem: Int) {
        struct Key: Hashable { var user: String; var item: String }
        var combined: [Key: (weight: Double, at: Int64)] = [:]
        for interaction in interactions {
            var weight = interaction.weight
            if let halfLife, halfLife > 0 {
                let age = Double(max(0, now - interaction.at)) / 1000
                weight *= pow(0.5, age / halfLife)
            }
            let key = Key(user: interaction.user, item: interaction.item)
            let previous = combined[key]
            combined[key] = ((previous?.weight ?? 0) + weight, max(previous?.at ?? .min, interaction.at))
        }
        var itemCounts: [String: Int] = [:]
        for key in combined.keys { itemCounts[key.item, default: 0] += 1 }
        var userCounts: [String: Int] = [:]
        for key in combined.keys where itemCounts[key.item, default: 0] >= minimumItem { userCounts[key.user, default: 0] += 1 }
        // Sorted, so the same data numbers its users and items the same way every run.
        for (key, value) in combined.sorted(by: { ($0.key.user, $0.key.item) < ($1.key.user, $1.key.item) })
        where value.weight > 0 && itemCounts[key.item, default: 0] >= minimumItem && userCounts[key.user, default: 0] >= minimumUser {
            let user = userIndex[key.user] ?? { users.append(key.user); userIndex[key.user] = users.count - 1; return users.count - 1 }()
            let item = itemIndex[key.item] ?? { items.append(key.item); itemIndex[key.item] = items.count - 1; return items.count - 1 }()
            pairs.append(Pair(user: user, item: item, weight: Float(value.weight), at: value.at))
        }
    }

    /// The user × item matrix of every pair.
    var matrix: SparseMatrix { matrix(of: pairs) }

    func matrix(of pairs: [Pair]) -> SparseMatrix {
        SparseMatrix(rows: users.count, columns: items.count, entries: pairs.map { .init(row: $0.user, column: $0.item, value: $0.weight) })
    }

    /// A time split: each user's newest `share` of items held out (at least one for a user with
    /// two or more), the rest to train on.
    func split(holdout share: Double) -> (train: SparseMatrix, heldOut: [Set<Int>]) {
        var byUser = [[Pair]](repeating: [], count: users.count)
        for pair in pairs { byUser[pair.user].append(pair) }
        var train: [Pair] = []
        var heldOut = [Set<Int>](repeating: [], count: users.count)
        for (user, own) in byUser.enumerated() {
            let sorted = own.sorted { ($0.at, $0.item) < ($1.at, $1.item) }
            let count = sorted.count >= 2 && share > 0 ? max(1, Int(Double(sorted.count) * share)) : 0
            train += sorted.dropLast(count)
            heldOut[user] = Set(sorted.suffix(count).map(\.item))
        }
        return (matrix(of: train), heldOut)
    }
}
