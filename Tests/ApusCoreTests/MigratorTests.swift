import ApusCore
import ApusTesting
import Logging
import Prometheus
import SQLKit
import Testing

@Suite struct MigratorTests {
    static let users = Migration(module: "auth", name: "0001_users", statements: ["CREATE TABLE auth_users (id TEXT PRIMARY KEY)"])
    static let links = Migration(
        module: "links", name: "0001_links",
        dependsOn: [MigrationID(module: "auth", name: "0001_users")],
        statements: ["CREATE TABLE links_links (code TEXT PRIMARY KEY, owner TEXT NOT NULL REFERENCES auth_users (id))"]
    )
    static let linkTags = Migration(
        module: "links", name: "0002_tags",
        dependsOn: [MigrationID(module: "links", name: "0001_links")],
        sqlite: ["ALTER TABLE links_links ADD COLUMN tags TEXT"],
        postgres: ["ALTER TABLE links_links ADD COLUMN tags TEXT[]"]
    )

    @Test(arguments: DatabaseEngine.allCases)
    func appliesAcrossModulesInDependencyOrderOnce(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database async throws in
            // Declared out of order: "auth" would sort first anyway, so put the dependent first by name.
            let migrator = Migrator(database: database, migrations: [Self.linkTags, Self.links, Self.users], logger: TestDatabase.logger)
            #expect(try migrator.plan().map(\.id.description) == ["auth/0001_users", "links/0001_links", "links/0002_tags"])
            #expect(try await migrator.pending().count == 3)
            #expect(try await migrator.migrate().count == 3)
            #expect(try await migrator.migrate().isEmpty)
            let statuses = try await migrator.status()
            #expect(statuses.allSatisfy { $0.appliedAt != nil })
            try await database.write { try await $0.raw("INSERT INTO auth_users (id) VALUES ('u1')").run() }
            try await database.write { try await $0.raw("INSERT INTO links_links (code, owner) VALUES ('abc', 'u1')").run() }
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func refusesAnAppliedMigrationWhoseSQLChanged(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database async throws in
            try await Migrator(database: database, migrations: [Self.users], logger: TestDatabase.logger).migrate()
            let edited = Migration(module: "auth", name: "0001_users", statements: ["CREATE TABLE auth_users (id TEXT PRIMARY KEY, email TEXT)"])
            let migrator = Migrator(database: database, migrations: [edited], logger: TestDatabase.logger)
            await #expect {
                try await migrator.migrate()
            } throws: { error in
                guard case .checksumMismatch(let id, _, _) = error as? MigrationError else { return false }
                return id == edited.id && "\(error)".contains("auth/0001_users")
            }
            await #expect(throws: MigrationError.self) { try await migrator.status() }
        }
    }

    /// A migration rewritten with its earlier text's checksum named is accepted where the earlier
    /// text was applied, and its new checksum recorded; a rewrite that does not name it is not.
    @Test(arguments: DatabaseEngine.allCases)
    func aRewrittenMigrationIsAcceptedOnlyWhereItsEarlierTextWasApplied(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database async throws in
            try await Migrator(database: database, migrations: [Self.users, Self.links], logger: TestDatabase.logger).migrate()
            let withoutKey = Migration(
                module: "links", name: "0001_links", dependsOn: [MigrationID(module: "auth", name: "0001_users")],
                statements: ["CREATE TABLE links_links (code TEXT PRIMARY KEY, owner TEXT NOT NULL)"]
            )
            await #expect(throws: MigrationError.self) {
                try await Migrator(database: database, migrations: [Self.users, withoutKey], logger: TestDatabase.logger).migrate()
            }
            let rewritten = withoutKey.rewritten(from: [Self.links.checksum(for: engine)])
            let migrator = Migrator(database: database, migrations: [Self.users, rewritten], logger: TestDatabase.logger)
            #expect(try await migrator.status().allSatisfy { $0.appliedAt != nil })
            #expect(try await migrator.migrate().isEmpty)
            // The new text's checksum is what is recorded now: the plain new text passes too.
            #expect(try await Migrator(database: database, migrations: [Self.users, withoutKey], logger: TestDatabase.logger).migrate().isEmpty)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aFailingMigrationLeavesNoTrace(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database async throws in
            let broken = Migration(module: "cms", name: "0001_broken", statements: [
                "CREATE TABLE cms_pages (id TEXT PRIMARY KEY)",
                "CREATE TABLE cms_pages (id TEXT PRIMARY KEY)",
            ])
            let migrator = Migrator(database: database, migrations: [broken], logger: TestDatabase.logger)
            await #expect {
                try await migrator.migrate()
            } throws: { error in
                guard case .failed(let id, _) = error as? MigrationError else { return false }
                return id == broken.id
            }
            #expect(try await migrator.pending() == [broken.id])
            // The first statement was rolled back with the second, so the table does not exist.
            let fixed = Migration(module: "cms", name: "0001_broken", statements: ["CREATE TABLE cms_pages (id TEXT PRIMARY KEY)"])
            #expect(try await Migrator(database: database, migrations: [fixed], logger: TestDatabase.logger).migrate() == [fixed.id])
        }
    }

    @Test func reportsACycleNamingItsMembers() {
        let a = Migration(module: "a", name: "1", dependsOn: [MigrationID(module: "b", name: "1")], statements: [])
        let b = Migration(module: "b", name: "1", dependsOn: [MigrationID(module: "a", name: "1")], statements: [])
        let c = Migration(module: "c", name: "1", statements: [])
        #expect(throws: MigrationError.cycle([a.id, b.id])) {
            try Migrator(database: NoDatabase(), migrations: [c, b, a], logger: TestDatabase.logger).plan()
        }
    }

    @Test func reportsMissingAndDuplicateMigrations() {
        let orphan = Migration(module: "a", name: "1", dependsOn: [MigrationID(module: "ghost", name: "1")], statements: [])
        #expect(throws: MigrationError.missingDependency(orphan.id, missing: MigrationID(module: "ghost", name: "1"))) {
            try Migrator(database: NoDatabase(), migrations: [orphan], logger: TestDatabase.logger).plan()
        }
        let twice = Migration(module: "a", name: "2", statements: [])
        #expect(throws: MigrationError.duplicate(twice.id)) {
            try Migrator(database: NoDatabase(), migrations: [twice, twice], logger: TestDatabase.logger).plan()
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func nodesMigratingAtOnceApplyEachMigrationOnce(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database async throws in
            let migrations = [Self.users, Self.links, Self.linkTags]
            let applied = try await withThrowingTaskGroup(of: [MigrationID].self) { group in
                for _ in 0..<4 {
                    group.addTask { try await Migrator(database: database, migrations: migrations, logger: TestDatabase.logger).migrate() }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(applied.sorted() == migrations.map(\.id).sorted())
        }
    }
}

/// Planning needs no database; this one fails if it is ever used.
struct NoDatabase: Database {
    struct Unused: Error {}
    var engine: DatabaseEngine { .sqlite }
    func read<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result { throw Unused() }
    func write<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result { throw Unused() }
    func withTransaction<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result { throw Unused() }
    func makeBus(logger: Logger, drops: Counter?) -> any ClusterBus { LocalBus(drops: drops) }
    func close() async {}
}
