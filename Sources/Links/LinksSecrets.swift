import ApusCore
import Crypto
import Foundation
import SQLKit
import Synchronization

/// The module's per-install secrets (the code permutation key, the visitor hash secret), kept by
/// the platform's ``ApusCore/InstallSecrets`` under `links.*` and held in memory once read.
/// Installs from before the platform kept them have them in `links_settings`: that value is what
/// this node offers, so an install keeps its codes and its visitor hashes.
final class LinksSecrets: Sendable {
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
        var generator = SystemRandomNumberGenerator()
        let codeKey = try await secret("code_key", otherwise: String(generator.next() as UInt64))
        let visitorSecret = try await secret("visitor_secret", otherwise: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() })
        let values = Values(
            codes: LinkCode(key: UInt64(codeKey) ?? 0),
            visitors: VisitorHash(secret: SymmetricKey(data: Data(base64Encoded: visitorSecret) ?? Data(visitorSecret.utf8)))
        )
        loaded.withLock { $0 = values }
        return values
    }

    /// The install's secret `name`: the one this install kept in `links_settings` if it has one,
    /// else `fresh`, unless another node stored its own first.
    private func secret(_ name: String, otherwise fresh: String) async throws -> String {
        let kept = try await platform.read.primary { sql in
            try await sql.raw("SELECT value FROM links_settings WHERE name = \(bind: name)").first()?.decode(column: "value", as: String.self)
        }
        return try await platform.secrets.value("links.\(name)") { kept ?? fresh }
    }
}
