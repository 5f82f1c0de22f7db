import HummingbirdBcrypt
import NIOPosix

/// bcrypt hashing, run on the blocking thread pool so that hashing (hundreds of milliseconds at
/// cost 12) never stalls the event loops serving other requests.
public struct PasswordHasher: Sendable {
    /// The bcrypt cost (work factor, 4-31).
    public let cost: UInt8

    public init(cost: UInt8) {
        self.cost = cost
    }

    public func hash(_ password: String) async throws -> String {
        let cost = cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash of nothing anyone knows, verified against when an email is unknown so that a wrong
    /// email costs the same time as a wrong password.
    public func decoyHash() async throws -> String {
        try await hash(OpaqueID.random(words: 2))
    }
}
