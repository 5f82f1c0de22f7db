import Foundation

extension Date {
    /// Milliseconds since 1970, rounded down: how a time is stored where SQL compares it (job
    /// run times, leases, expiries), the same integer on both engines. A microsecond of slack
    /// absorbs the binary error of a time made from its milliseconds (`…956` is
    /// `…955.9999997` as a double), so reading a stored time back gives the same milliseconds.
    package var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000 + 0.001).rounded(.down)) }

    /// The time `epochMilliseconds` after 1970.
    package init(epochMilliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(epochMilliseconds) / 1000)
    }
}
