import ApusCore
import Crypto
import Foundation

/// Hashes a visitor (address + user agent) with a salt derived from a secret and the day, so
/// unique visitors can be counted per day while the hashes reveal nobody and cannot be joined
/// across days.
struct VisitorHash: Sendable {
    let secret: SymmetricKey

    func hash(address: String, userAgent: String?, at date: Date) -> String {
        let day = String(Timestamp.format(date).prefix(10))
        let salt = HMAC<SHA256>.authenticationCode(for: Data(day.utf8), using: secret)
        let visitor = HMAC<SHA256>.authenticationCode(for: Data("\(address)|\(userAgent ?? "")".utf8), using: SymmetricKey(data: Data(salt)))
        return Data(visitor).prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
