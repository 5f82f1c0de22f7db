import ApusKit
import Foundation
import Synchronization

/// Access tokens whose signature this node has checked, so a client's repeated requests pay for
/// one Ed25519 verification. Entries are honoured only until the token's `exp`, and all are
/// dropped when the signing keys are reloaded (a key may have gone).
final class VerifiedTokens: Sendable {
    private let entries = Mutex(LRUCache<TokenKey, VerifiedToken>(capacity: 10_000))

    func token(_ token: String, now: Date) -> VerifiedToken? {
        let key = TokenKey(token)
        return entries.withLock { entries in
            guard let verified = entries.get(key) else { return nil }
            guard verified.claims.exp.value > now else {
                entries.remove(key)
                return nil
            }
            return verified
        }
    }

    func remember(_ token: String, _ verified: VerifiedToken) {
        entries.withLock { _ = $0.put(TokenKey(token), verified) }
    }

    func forgetAll() {
        entries.withLock { $0.removeAll() }
    }
}

/// A token as the cache's key: equal only when the whole token is, but hashed on its last 32
/// bytes, which are its signature's and differ from token to token. A lookup on every request
/// then hashes 32 bytes instead of the ~400 of a token. Only tokens whose signature was checked
/// are stored, so nobody can fill the cache with tokens made to collide.
struct TokenKey: Hashable, Sendable {
    let token: String

    init(_ token: String) {
        self.token = token
    }

    static let hashedBytes = 32

    /// Byte for byte, as the hash reads bytes (`String`'s `==` would take canonically equivalent
    /// spellings as equal while their bytes hash apart), with one `memcmp`: a comparison through
    /// the UTF-8 view walked the token a byte at a time on every request.
    static func == (lhs: TokenKey, rhs: TokenKey) -> Bool {
        var left = lhs.token
        var right = rhs.token
        return left.withUTF8 { a in
            right.withUTF8 { b in a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0) }
        }
    }

    func hash(into hasher: inout Hasher) {
        var token = token
        token.withUTF8 { bytes in hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.suffix(Self.hashedBytes)))) }
    }
}

/// An access token whose signature checked out: its claims, and the caller they name, made
/// once per token rather than on each of its requests (the roles' set was an allocation every
/// time). A class, so a cache hit retains one reference instead of each claim's.
final class VerifiedToken: Sendable {
    let claims: AccessClaims
    /// The caller, with the roles the token carries. Whether its session is still live is
    /// asked separately, on every request.
    let principal: Principal

    init(_ claims: AccessClaims) {
        self.claims = claims
        self.principal = Principal(userID: claims.sub.value, roles: Set(claims.roles.compactMap(Role.init(rawValue:))), sessionID: claims.sid)
    }
}
