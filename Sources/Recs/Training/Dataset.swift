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

/// A (user, item) pair by the caller's ids.
struct PairKey: Hashable, Sendable {
    var user: String
    var item: String
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

    /// The transform of the extract step's totals: each pair's weight at `now`, then users and
    /// items below the minimum counts dropped (one pass each, items first).
    init(totals: [(key: PairKey, total: PairTotal)], now: Int64, halfLife: Double?, minimumUser: Int, minimumItem: Int) {
        var itemCounts: [String: Int] = [:]
        for (key, _) in totals { itemCounts[key.item, default: 0] += 1 }
        var userCounts: [String: Int] = [:]
        for (key, _) in totals where itemCounts[key.item, default: 0] >= minimumItem { userCounts[key.user, default: 0] += 1 }
        // Sorted, so the same data numbers its users and items the same way every run.
        for (key, total) in totals.sorted(by: { ($0.key.user, $0.key.item) < ($1.key.user, $1.key.item) })
        where itemCounts[key.item, default: 0] >= minimumItem && userCounts[key.user, default: 0] >= minimumUser {
            let weight = total.weight(at: now, halfLife: halfLife)
            guard weight > 0 else { continue }
            let user = userIndex[key.user] ?? { users.append(key.user); userIndex[key.user] = users.count - 1; return users.count - 1 }()
            let item = itemIndex[key.item] ?? { items.append(key.item); itemIndex[key.item] = items.count - 1; return items.count - 1 }()
            pairs.append(Pair(user: user, item: item, weight: Float(weight), at: total.at))
        }
    }

    /// Users, items and pairs as they are (an artefact read back).
    init(users: [String], items: [String], pairs: [Pair]) {
        self.users = users
        self.items = items
        self.pairs = pairs
        userIndex = Dictionary(uniqueKeysWithValues: users.enumerated().map { ($1, $0) })
        itemIndex = Dictionary(uniqueKeysWithValues: items.enumerated().map { ($1, $0) })
    }

    /// The user × item matrix of every pair.
    var matrix: SparseMatrix { matrix(of: pairs) }

    func matrix(of pairs: [Pair]) -> SparseMatrix {
        SparseMatrix(rows: users.count, columns: items.count, entries: pairs.map { .init(row: $0.user, column: $0.item, value: $0.weight) })
    }

    /// Each user's newest `share` of items (at least one for a user with two or more).
    func heldOutItems(share: Double) -> [Set<Int>] {
        var byUser = [[Pair]](repeating: [], count: users.count)
        for pair in pairs { byUser[pair.user].append(pair) }
        var heldOut = [Set<Int>](repeating: [], count: users.count)
        for (user, own) in byUser.enumerated() {
            let sorted = own.sorted { ($0.at, $0.item) < ($1.at, $1.item) }
            let count = sorted.count >= 2 && share > 0 ? max(1, Int(Double(sorted.count) * share)) : 0
            heldOut[user] = Set(sorted.suffix(count).map(\.item))
        }
        return heldOut
    }
}
