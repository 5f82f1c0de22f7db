import ApusCore
import Crypto
import Foundation
import SQLKit
import Synchronization

/// The module's per-install secrets (the code permutation key, the visitor hash secret), made on
/// first use and shared by every node through `links_settings`; held in memory once read.
final class InstallSecrets: Sendable {
    struct Values: Sendable {
        let codes: LinkCode
        let visitors: VisitorHash
    }

    private let platform: Platform
    private let loaded = Mutex<Values?>(nil)

    init(platform: Platform) {
        self.platform = platform
    }

    func values() async throws -> Values {
        if let values = loaded.withLock({ $0 }) { return values }
        let codeKey = try await setting("code_key") {
            var generator = SystemRandomNumberGenerator()
            return String(generator.next() as UInt64)
        }
        let visitorSecret = try await setting("visitor_secret") { SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() } }
        let values = Values(
            codes: LinkCode(key: UInt64(codeKey) ?? 0),
            visitors: VisitorHash(secret: SymmetricKey(data: Data(base64Encoded: visitorSecret) ?? Data(visitorSecret.utf8)))
        )
        loaded.withLock { $0 = values }
        return values
    }

    /// The stored value of `name`, storing `make()` first if there is none (the first node wins).
    private func setting(_ name: String, make: () -> String) async throws -> String {
        let candidate = make()
        return try await platform.transaction { transaction in
            let connection = transaction.sql
            try await connection.raw("""
                INSERT INTO links_settings (name, value) VALUES (\(bind: name), \(bind: candidate)) ON CONFLICT (name) DO NOTHING
                """).run()
            let row = try await connection.raw("SELECT value FROM links_settings WHERE name = \(bind: name)").first()
            return try row!.decode(column: "value", as: String.self)
        }
    }
}
