public import Crypto
import ApusKit
public import Foundation

/// Makes and checks self-contained tokens: a few claims and an expiry, with an HMAC-SHA256 over
/// both and the purpose they were made for. Any node holding the install's key checks a token
/// without a lookup; nobody without it can make or alter one. What a token grants is up to its
/// purpose (a preview of one entry, a download of one file), and it cannot be revoked before it
/// expires except by rotating the key, so lifetimes stay short.
///
/// The text is `<payload>.<mac>`, both base64url: the payload is a JSON array of the expiry (Unix
/// seconds) and the claims.
public struct TokenSigner: Sendable {
    /// Why a token was refused.
    public enum Rejection: Error, Equatable, Sendable {
        /// Not a token of this shape at all.
        case malformed
        /// Made with another key or for another purpose, or altered.
        case forged
        /// Genuine, but its time is over.
        case expired(Date)
    }

    /// What a checked token carries.
    public struct Verified: Sendable, Equatable {
        public let claims: [String]
        public let expiresAt: Date
    }

    let purpose: String
    let key: SymmetricKey

    public init(purpose: String, key: SymmetricKey) {
        self.purpose = purpose
        self.key = key
    }

    /// A token carrying `claims` until `expiresAt` (whole seconds; earlier fractions are cut).
    public func sign(_ claims: [String], expiresAt: Date) -> String {
        let expiry = String(Int64(expiresAt.timeIntervalSince1970.rounded(.down)))
        // An array of strings always encodes.
        let payload = (try? JSONEncoder().encode([expiry] + claims)) ?? Data()
        return payload.base64URLEncoded + "." + Data(mac(payload)).base64URLEncoded
    }

    /// The claims of `token` if this signer made it and it has not expired at `now`.
    public func verify(_ token: some StringProtocol, now: Date) throws(Rejection) -> Verified {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, let payload = Data(base64URLEncoded: parts[0]), let given = Data(base64URLEncoded: parts[1]) else {
            throw .malformed
        }
        // The MAC is checked before the payload is read, in constant time.
        guard HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Self.input(purpose, payload), using: key) else { throw .forged }
        guard let fields = try? JSONDecoder().decode([String].self, from: payload), let first = fields.first, let seconds = Int64(first) else {
            throw .malformed
        }
        let expiresAt = Date(timeIntervalSince1970: TimeInterval(seconds))
        guard now < expiresAt else { throw .expired(expiresAt) }
        return Verified(claims: Array(fields.dropFirst()), expiresAt: expiresAt)
    }

    private func mac(_ payload: Data) -> HashedAuthenticationCode<SHA256> {
        HMAC<SHA256>.authenticationCode(for: Self.input(purpose, payload), using: key)
    }

    /// The purpose is part of what is authenticated, so a token of one cannot pass as another's.
    private static func input(_ purpose: String, _ payload: Data) -> Data {
        Data(purpose.utf8) + Data([0]) + payload
    }
}
