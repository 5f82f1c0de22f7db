import ApusCore
import ApusKit
import Crypto
import Foundation

/// Hashes a visitor (address + user agent) with a salt derived from a secret and the day, so
/// unique visitors can be counted per day while the hashes reveal nobody and cannot be joined
/// across days.
struct VisitorHash: Sendable {
    let secret: SymmetricKey

    /// The salt of the UTC day of `date`.
    func salt(for date: Date) -> SymmetricKey {
        let day = String(Timestamp.format(date).prefix(10))
        return SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(day.utf8), using: secret)))
    }

    func hash(address: String, userAgent: String?, salt: SymmetricKey) -> String {
        let visitor = HMAC<SHA256>.authenticationCode(for: Data("\(address)|\(userAgent ?? "")".utf8), using: salt)
        return Data(visitor).prefix(16).hexEncoded
    }
}
