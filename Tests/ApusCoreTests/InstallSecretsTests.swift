import ApusCore
import ApusTesting
import Crypto
import Foundation
import SQLKit
import Testing

@Suite struct InstallSecretsTests {
    /// Nodes asking for the same secret at once all get the one the first stored, and keep it.
    @Test(arguments: DatabaseEngine.allCases)
    func everyNodeGetsTheSecretTheFirstStored(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            try await Migrator(database: database, migrations: ApusServer.platformMigrations, logger: TestDatabase.logger).migrate()
            let nodes = (0..<6).map { _ in Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger) }
            let keys = try await withThrowingTaskGroup(of: Data.self) { group in
                for node in nodes {
                    group.addTask { try await node.secrets.key("tests.signing").withUnsafeBytes { Data($0) } }
                }
                return try await group.reduce(into: [Data]()) { $0.append($1) }
            }
            #expect(Set(keys).count == 1, "nodes hold different keys")
            #expect(keys.first?.count == 32)

            // A value offered after one is stored is not taken, by a node that never asked before either.
            let first = try await nodes[0].secrets.value("tests.salt") { "first" }
            let late = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            #expect(first == "first")
            #expect(try await late.secrets.value("tests.salt") { "second" } == "first")
            let stored = try await database.read {
                try await $0.raw("SELECT COUNT(*) AS n FROM apus_install_secrets").first()?.decode(column: "n", as: Int.self)
            }
            #expect(stored == 2)
        }
    }

    /// What one node signs another checks; another purpose, an altered token or an expired one
    /// is refused.
    @Test(arguments: DatabaseEngine.allCases)
    func aTokenSignedOnOneNodeIsCheckedOnAnother(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            try await Migrator(database: database, migrations: ApusServer.platformMigrations, logger: TestDatabase.logger).migrate()
            let one = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            let other = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let token = try await one.secrets.signer("tests.preview").sign(["ent_1", "page|with.dots"], expiresAt: now.addingTimeInterval(60))
            let checked = try await other.secrets.signer("tests.preview").verify(token, now: now)
            #expect(checked.claims == ["ent_1", "page|with.dots"])
            #expect(checked.expiresAt == now.addingTimeInterval(60))
            let download = try await other.secrets.signer("tests.download")
            #expect(throws: TokenSigner.Rejection.forged) { try download.verify(token, now: now) }
        }
    }

    @Test func forgedAlteredExpiredAndMalformedTokensAreRefused() throws {
        let signer = TokenSigner(purpose: "tests.preview", key: SymmetricKey(size: .bits256))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let token = signer.sign(["ent_1"], expiresAt: now.addingTimeInterval(30))
        #expect(try signer.verify(token, now: now.addingTimeInterval(29)).claims == ["ent_1"])
        #expect(throws: TokenSigner.Rejection.expired(now.addingTimeInterval(30))) { try signer.verify(token, now: now.addingTimeInterval(30)) }

        // Another key, or a payload swapped for one with a later expiry, fails the MAC.
        let stranger = TokenSigner(purpose: "tests.preview", key: SymmetricKey(size: .bits256))
        #expect(throws: TokenSigner.Rejection.forged) { try stranger.verify(token, now: now) }
        let later = signer.sign(["ent_2"], expiresAt: now.addingTimeInterval(3_600))
        let spliced = later.split(separator: ".")[0] + "." + token.split(separator: ".")[1]
        #expect(throws: TokenSigner.Rejection.forged) { try signer.verify(spliced, now: now) }
        var flipped = Array(token.utf8)
        flipped[3] = flipped[3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: TokenSigner.Rejection.forged) { try signer.verify(String(decoding: flipped, as: UTF8.self), now: now) }

        for malformed in ["", ".", "abc", "a.b.c", "a+b.c", token + "=", "éé.éé"] {
            #expect(throws: TokenSigner.Rejection.malformed, "\(malformed)") { try signer.verify(malformed, now: now) }
        }
    }
}
