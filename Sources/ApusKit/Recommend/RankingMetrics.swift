#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Top-k ranking quality of recommendations against held-out interactions: precision, recall
/// and NDCG at k, averaged over the users who have held-out items, and catalogue coverage.
public struct RankingMetrics: Sendable, Equatable, Codable {
    public var precision: Double
    public var recall: Double
    public var ndcg: Double
    /// The share of the catalogue that appears in at least one user's top k.
    public var coverage: Double
    /// How many users were scored.
    public var users: Int

    public init(precision: Double, recall: Double, ndcg: Double, coverage: Double, users: Int) {
        self.precision = precision
        self.recall = recall
        self.ndcg = ndcg
        self.coverage = coverage
        self.users = users
    }

    /// Scores `recommended` (each user's ranked items, best first) against `heldOut` (each
    /// user's relevant items), at `k`, over a catalogue of `catalogue` items. Users without
    /// held-out items are skipped.
    public static func evaluate(recommended: [[Int]], heldOut: [Set<Int>], k: Int, catalogue: Int) -> RankingMetrics {
        precondition(recommended.count == heldOut.count)
        var precision = 0.0, recall = 0.0, ndcg = 0.0
        var users = 0
        var shown = Set<Int>()
        for (ranked, relevant) in zip(recommended, heldOut) where !relevant.isEmpty {
            users += 1
            let top = ranked.prefix(k)
            shown.formUnion(top)
            var hits = 0
            var dcg = 0.0
            for (rank, item) in top.enumerated() where relevant.contains(item) {
                hits += 1
                dcg += 1 / log2(Double(rank) + 2)
            }
            let ideal = (0..<min(k, relevant.count)).reduce(0.0) { $0 + 1 / log2(Double($1) + 2) }
            precision += Double(hits) / Double(k)
            recall += Double(hits) / Double(relevant.count)
            ndcg += dcg / ideal
        }
        guard users > 0 else { return RankingMetrics(precision: 0, recall: 0, ndcg: 0, coverage: 0, users: 0) }
        let count = Double(users)
        return RankingMetrics(
            precision: precision / count, recall: recall / count, ndcg: ndcg / count,
            coverage: catalogue > 0 ? Double(shown.count) / Double(catalogue) : 0, users: users
        )
    }
}
