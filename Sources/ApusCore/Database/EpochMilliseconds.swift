import Foundation

extension Date {
    /// Milliseconds since 1970, rounded down: how a time is stored where SQL compares it (job
    /// run times, leases, expiries), the same integer on both engines.
    package var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The time `epochMilliseconds` after 1970.
    package init(epochMilliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(epochMilliseconds) / 1000)
    }
}
