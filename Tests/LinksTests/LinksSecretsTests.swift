import ApusCore
import ApusTesting
import SQLKit
import Testing

@testable import Links

@Suite struct LinksSecretsTests {
    /// An install that kept its code key in `links_settings` before the platform kept secrets
    /// goes on making the same codes; a new install gets a key of its own, the same on every node.
    @Test(arguments: DatabaseEngine.allCases)
    func anInstallKeepsTheKeyItHadAndNodesShareOne(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            try await Migrator(database: database, migrations: ApusServer.platformMigrations + LinksMigrations.all, logger: TestDatabase.logger).migrate()
            try await database.write { try await $0.raw("INSERT INTO links_settings (name, value) VALUES ('code_key', '987654321')").run() }
            let node = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            let kept = try await LinksSecrets(platform: node).values()
            #expect(kept.codes.code(for: 42) == LinkCode(key: 987_654_321).code(for: 42))

            let others = (0..<3).map { _ in Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger) }
            for other in others {
                #expect(try await LinksSecrets(platform: other).values().codes.code(for: 42) == kept.codes.code(for: 42))
            }
        }
    }
}
