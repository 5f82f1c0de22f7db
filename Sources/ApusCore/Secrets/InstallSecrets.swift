public import Crypto
import Foundation
import SQLKit
import Synchronization

/// Secrets made once per install and shared by every node: keys for signing tokens, salts,
/// permutation keys. The first node to need one stores it in `apus_install_secrets` and every
/// node reads that one afterwards, so what one node signs another can check. Each value is read
/// from the database once per node and kept in memory.
///
/// Names carry their module's name (`content.preview`), as bus channels and jobs do.
public final class InstallSecrets: Sendable {
    static let migration = Migration(
        module: "apus",
        name: "0004_install_secrets",
        statements: ["CREATE TABLE apus_install_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)"]
    )

    private let database: any Database
    private let known = Mutex<[String: String]>([:])

    package init(database: any Database) {
        self.database = database
    }

    /// The install's value of `name`. When none is stored yet, `candidate` is offered: the first
    /// node to store one wins, and the others get the winner's. A module that kept a secret of its
    /// own before offers that as the candidate, so an install keeps the value it had.
    public func value(_ name: String, candidate: @Sendable () -> String) async throws -> String {
        if let value = known.withLock({ $0[name] }) { return value }
        let offered = candidate()
        let value = try await database.withTransaction { sql in
            try await sql.raw("""
                INSERT INTO apus_install_secrets (name, value) VALUES (\(bind: name), \(bind: offered)) ON CONFLICT (name) DO NOTHING
                """).run()
            let row = try await sql.raw("SELECT value FROM apus_install_secrets WHERE name = \(bind: name)").first()
            guard let row else { throw SecretMissing(name: name) }
            return try row.decode(column: "value", as: String.self)
        }
        known.withLock { $0[name] = value }
        return value
    }

    /// The install's 256-bit key named `name`, made at random the first time any node asks.
    public func key(_ name: String) async throws -> SymmetricKey {
        let text = try await value(name) { SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() } }
        guard let bytes = Data(base64Encoded: text), bytes.count >= 16 else { throw SecretMissing(name: name) }
        return SymmetricKey(data: bytes)
    }

    /// A signer of tokens for `purpose`, keyed by the install's key of that name: tokens made
    /// for one purpose are refused by every other.
    public func signer(_ purpose: String) async throws -> TokenSigner {
        TokenSigner(purpose: purpose, key: try await key(purpose))
    }

    /// A secret that was stored and then could not be read back as one (edited by hand).
    struct SecretMissing: Error, CustomStringConvertible {
        let name: String
        var description: String { "the install secret '\(name)' is missing or not a key" }
    }
}
