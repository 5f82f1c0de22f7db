import Foundation

/// What the extract step keeps of one (user, item) pair: the sum of its interactions' weights,
/// the same sum decayed to the pair's latest time, and that time. Interactions are added as they
/// arrive, run after run, and the decayed sum stays exact: decaying it again from `at` to any
/// later moment equals decaying each interaction from its own time.
struct PairTotal: Sendable, Equatable {
    var weight: Double
    /// Σ weight · ½^((at − t) / half-life) over the pair's interactions at times t.
    var decayed: Double
    /// Epoch milliseconds of the newest interaction.
    var at: Int64

    init(weight: Double, decayed: Double, at: Int64) {
        self.weight = weight
        self.decayed = decayed
        self.at = at
    }

    /// One interaction.
    init(weight: Double, at: Int64) {
        self.init(weight: weight, decayed: weight, at: at)
    }

    /// The total with `other`'s interactions added (both decayed with `halfLife` seconds, if set).
    func adding(_ other: PairTotal, halfLife: Double?) -> PairTotal {
        let newest = max(at, other.at)
        return PairTotal(
            weight: weight + other.weight,
            decayed: Self.decay(decayed, from: at, to: newest, halfLife: halfLife) + Self.decay(other.decayed, from: other.at, to: newest, halfLife: halfLife),
            at: newest
        )
    }

    /// The pair's weight at `now`: decayed when a half-life is set.
    func weight(at now: Int64, halfLife: Double?) -> Double {
        guard let halfLife, halfLife > 0 else { return weight }
        return Self.decay(decayed, from: at, to: max(now, at), halfLife: halfLife)
    }

    private static func decay(_ value: Double, from: Int64, to: Int64, halfLife: Double?) -> Double {
        guard let halfLife, halfLife > 0, to > from else { return value }
        return value * pow(0.5, Double(to - from) / 1000 / halfLife)
    }
}
