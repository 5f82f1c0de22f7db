import ApusKit
@testable import Recs
import Testing

/// The transform step: weights per pair, decay, minimum counts and the time split.
@Suite struct DatasetTests {
    static func row(_ user: String, _ item: String, weight: Double = 1, at: Int64) -> StoredInteraction {
        StoredInteraction(user: user, item: item, kind: .view, weight: weight, at: at)
    }

    @Test func repeatsAddUpAndAHalfLifeHalvesOldWeight() {
        let day: Int64 = 86_400_000
        let rows = [Self.row("a", "x", at: 0), Self.row("a", "x", weight: 2, at: day), Self.row("a", "y", weight: 4, at: 2 * day)]
        let plain = Dataset(rows, now: 2 * day, halfLife: nil, minimumUser: 1, minimumItem: 1)
        #expect(plain.pairs.map(\.weight) == [3, 4])
        #expect(plain.pairs.map(\.at) == [day, 2 * day])
        // A half-life of a day: the first view is two days old (×¼), the second one (×½).
        let decayed = Dataset(rows, now: 2 * day, halfLife: 86_400, minimumUser: 1, minimumItem: 1)
        #expect(decayed.pairs.map(\.weight) == [0.25 + 1, 4])
    }

    @Test func usersAndItemsBelowTheMinimumCountsAreLeftOut() {
        // x has three users, y two, z one; user c is left with one item once z goes.
        let rows = [
            Self.row("a", "x", at: 1), Self.row("a", "y", at: 2), Self.row("b", "x", at: 3), Self.row("b", "y", at: 4),
            Self.row("c", "x", at: 5), Self.row("c", "z", at: 6),
        ]
        let dataset = Dataset(rows, now: 10, halfLife: nil, minimumUser: 2, minimumItem: 2)
        #expect(dataset.users == ["a", "b"] && dataset.items == ["x", "y"])
        #expect(dataset.pairs.count == 4)
    }

    @Test func theSplitHoldsOutEachUsersNewestItems() {
        let rows = (0..<10).map { Self.row("a", "i\($0)", at: Int64(100 - $0)) } + [Self.row("b", "i0", at: 1)]
        let dataset = Dataset(rows, now: 200, halfLife: nil, minimumUser: 1, minimumItem: 1)
        let (train, heldOut) = dataset.split(holdout: 0.2)
        let a = dataset.users.firstIndex(of: "a")!
        // a's newest two are i0 and i1; b has one item, all of it trained on.
        #expect(heldOut[a] == Set(["i0", "i1"].map { dataset.items.firstIndex(of: $0)! }))
        #expect(train.row(a).count == 8)
        #expect(heldOut[dataset.users.firstIndex(of: "b")!].isEmpty)
    }
}

extension Dataset {
    /// The extract and the transform over `interactions` at once: each pair's interactions
    /// added up as the extract does, then transformed.
    init(_ interactions: [StoredInteraction], now: Int64, halfLife: Double?, minimumUser: Int, minimumItem: Int) {
        var totals: [PairKey: PairTotal] = [:]
        for interaction in interactions {
            let one = PairTotal(weight: interaction.weight, at: interaction.at)
            let key = PairKey(user: interaction.user, item: interaction.item)
            totals[key] = totals[key].map { $0.adding(one, halfLife: halfLife) } ?? one
        }
        self.init(totals: totals.map { ($0.key, $0.value) }, now: now, halfLife: halfLife, minimumUser: minimumUser, minimumItem: minimumItem)
    }

    /// A time split: each user's newest `share` of items held out (at least one for a user with
    /// two or more), the rest to train on.
    func split(holdout share: Double) -> (train: SparseMatrix, heldOut: [Set<Int>]) {
        let heldOut = heldOutItems(share: share)
        return (matrix(of: pairs.filter { !heldOut[$0.user].contains($0.item) }), heldOut)
    }
}
