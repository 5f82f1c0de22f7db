import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// bcrypt hashing, on threads of its own (``BlockingPools/passwords``) so that hashing (hundreds
/// of milliseconds at cost 12) never stalls the event loops or the database. At most
/// `maxPending` hashes wait or run at once: past that a caller gets 503 with `Retry-After` at
/// once instead of a wait that grows with the queue.
///
/// bcrypt reads only the first 72 bytes of its input, and the policy allows 128 characters (up
/// to 512 bytes): passwords are first digested with HMAC-SHA-256 (base64, 44 bytes), so every
/// byte counts. Such hashes are stored with the `apus1$` prefix; hashes made before it are of the
/// password itself and still verify.
public struct PasswordHasher: Sendable {
    /// The bcrypt cost (work factor, 4-31).
    public let cost: UInt8
    /// Hashes waiting or running at most.
    public let maxPending: Int
    private let pending = Pending()

    final class Pending: Sendable {
        let count = Atomic<Int>(0)
    }

    /// Marks a hash of the digested password.
    static let digestedPrefix = "apus1$"
    private static let digestKey = SymmetricKey(data: Data("apus password digest".utf8))

    public init(cost: UInt8, maxPending: Int = 16) {
        self.cost = cost
        self.maxPending = maxPending
    }

    /// Runs `work` on the password threads if there is room; else a 503 problem.
    private func admitted<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        guard pending.count.add(1, ordering: .relaxed).newValue <= maxPending else {
            pending.count.subtract(1, ordering: .relaxed)
            throw Problem(.serviceUnavailable, detail: "Too many password checks at once; retry shortly.", headers: [.retryAfter: "1"])
        }
        defer { pending.count.subtract(1, ordering: .relaxed) }
        return try await BlockingPools.passwords.runIfActive(work)
    }

    /// The password as bcrypt sees it: 44 bytes that depend on every byte of it.
    static func digest(_ password: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(password.utf8), using: digestKey)).base64EncodedString()
    }

    public func hash(_ password: String) async throws -> String {
        let cost = cost
        let digest = Self.digest(password)
        return try await admitted { Self.digestedPrefix + Bcrypt.hash(digest, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        if hash.hasPrefix(Self.digestedPrefix) {
            let digest = Self.digest(password)
            let stored = String(hash.dropFirst(Self.digestedPrefix.count))
            return try await admitted { Bcrypt.verify(digest, hash: stored) }
        }
        return try await admitted { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash of nothing anyone knows, verified against when an email is unknown so that a wrong
    /// email costs the same time as a wrong password.
    public func decoyHash() async throws -> String {
        try await hash(OpaqueID.random(words: 2))
    }
}
