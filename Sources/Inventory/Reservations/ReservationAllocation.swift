/// Decides, for checkouts that arrived together, which ones the stock can hold: each checkout
/// in arrival order takes all its lines or none from what is left, so a batch hands out
/// exactly what one-at-a-time transactions would have, given the same order.
struct ReservationAllocation: Sendable {
    /// One stock row: a variant at a location.
    struct Row: Hashable, Sendable, Comparable {
        var variantID: String
        var locationID: String

        /// The global lock order: by variant id, then location id.
        static func < (lhs: Row, rhs: Row) -> Bool {
            (lhs.variantID, lhs.locationID) < (rhs.variantID, rhs.locationID)
        }
    }

    /// A line that fell short: its position in the checkout's lines and what was left of its row.
    struct Shortfall: Sendable, Equatable {
        var line: Int
        var available: Int
    }

    /// Units each row still has free; a row never stocked has none.
    private(set) var available: [Row: Int]
    /// Units taken from each row by the checkouts that fitted.
    private(set) var taken: [Row: Int] = [:]

    init(available: [Row: Int]) {
        self.available = available
    }

    /// Takes every line of one checkout if all fit; otherwise takes nothing and returns the
    /// lines that fell short (empty when the checkout fitted).
    mutating func take(_ lines: [(row: Row, quantity: Int)]) -> [Shortfall] {
        let short = lines.enumerated().compactMap { index, line in
            let free = available[line.row, default: 0]
            return free < line.quantity ? Shortfall(line: index, available: free) : nil
        }
        guard short.isEmpty else { return short }
        for line in lines {
            available[line.row, default: 0] -= line.quantity
            taken[line.row, default: 0] += line.quantity
        }
        return []
    }
}
