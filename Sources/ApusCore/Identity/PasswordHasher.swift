import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix

/// bcrypt hashing, run on the blocking thread pool so that hashing (hundreds of milliseconds at
/// cost 12) never stalls the event loops serving other requests.
///
/// bcrypt reads only the first 72 bytes of its input, and the policy allows 128 characters (up
/// to 512 bytes): passwords are first digested with HMAC-SHA-256 (base64, 44 bytes), so every
/// byte counts. Such hashes are stored with the `apus1$` prefix; hashes made before it are of the
/// password itself and still verify.
public struct PasswordHasher: Sendable {
    /// The bcrypt cost (work factor, 4-31).
    public let cost: UInt8

    /// Marks a hash of the digested password.
    static let digestedPrefix = "apus1$"
    private static let digestKey = SymmetricKey(data: Data("apus password digest".utf8))

    public init(cost: UInt8) {
        self.cost = cost
    }

    /// The password as bcrypt sees it: 44 bytes that depend on every byte of it.
    static func digest(_ password: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(password.utf8), using: digestKey)).base64EncodedString()
    }

    public func hash(_ password: String) async throws -> String {
        let cost = cost
        let digest = Self.digest(password)
        return try await NIOThreadPool.singleton.runIfActive { Self.digestedPrefix + Bcrypt.hash(digest, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        if hash.hasPrefix(Self.digestedPrefix) {
            let digest = Self.digest(password)
            let stored = String(hash.dropFirst(Self.digestedPrefix.count))
            return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(digest, hash: stored) }
        }
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash of nothing anyone knows, verified against when an email is unknown so that a wrong
    /// email costs the same time as a wrong password.
    public func decoyHash() async throws -> String {
        try await hash(OpaqueID.random(words: 2))
    }
}
