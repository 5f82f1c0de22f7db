import ApusKit
import Foundation
import Synchronization

/// Access tokens whose signature this node has checked, so a client's repeated requests pay for
/// one Ed25519 verification. Entries are honoured only until the token's `exp`, and all are
/// dropped when the signing keys are reloaded (a key may have gone).
final class VerifiedTokens: Sendable {
    private let entries = Mutex(LRUCache<String, AccessClaims>(capacity: 10_000))

    func claims(for token: String, now: Date) -> AccessClaims? {
        entries.withLock { entries in
            guard let claims = entries.get(token) else { return nil }
            guard claims.exp.value > now else {
                entries.remove(token)
                return nil
            }
            return claims
        }
    }

    func remember(_ token: String, _ claims: AccessClaims) {
        entries.withLock { _ = $0.put(token, claims) }
    }

    func forgetAll() {
        entries.withLock { $0.removeAll() }
    }
}
