import ApusCore
import ApusTesting
import Foundation
import Prometheus
import SQLKit
import Testing

@testable import Links

@Suite struct ClickBufferTests {
    /// A write that fails part-way puts back only the clicks not yet written, so none is lost and
    /// none is counted twice. The failure is the database's own: a trigger refuses a second row.
    @Test(arguments: DatabaseEngine.allCases)
    func aFlushThatFailsHalfWayCountsEveryClickOnce(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            try await Migrator(database: database, migrations: ApusServer.platformMigrations + LinksMigrations.all, logger: TestDatabase.logger).migrate()
            let failing: [String] =
                engine == .sqlite
                ? ["CREATE TRIGGER t_full BEFORE INSERT ON links_clicks WHEN (SELECT count(*) FROM links_clicks) >= 1 BEGIN SELECT RAISE(ABORT, 'disk full'); END"]
                : [
                    """
                    CREATE FUNCTION t_full() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN IF (SELECT count(*) FROM links_clicks) >= 1 THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$
                    """,
                    "CREATE TRIGGER t_full BEFORE INSERT ON links_clicks FOR EACH ROW EXECUTE FUNCTION t_full()",
                ]
            try await database.write { connection in
                try await connection.raw("""
                    INSERT INTO links_links (code, url, owner_id, redirect, created_at, updated_at)
                    VALUES ('abc', 'https://e.com', 'usr_1', 302, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')
                    """).run()
            }
            for statement in failing {
                try await database.write { try await $0.raw(SQLQueryString(statement)).run() }
            }
            let platform = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            let buffer = ClickBuffer(
                platform: platform, secrets: LinksSecrets(platform: platform), metrics: PrometheusCollectorRegistry(), logger: TestDatabase.logger,
                batchSize: 10_000
            )
            let at = Date(timeIntervalSince1970: 1_800_000_000)
            for _ in 0..<1200 {
                buffer.record(Click(code: "abc", at: at, referrer: nil, userAgent: "curl/8", address: "192.0.2.1", country: nil))
            }
            // The first chunk of 500 is written, the second refused.
            await buffer.flush()
            try await database.write { try await $0.raw(engine == .sqlite ? "DROP TRIGGER t_full" : "DROP TRIGGER t_full ON links_clicks").run() }
            await buffer.flush()
            let total = try await database.read { connection in
                try await connection.raw("SELECT sum(clicks) AS n FROM links_clicks WHERE code = 'abc'").first()!.decode(column: "n", as: Int.self)
            }
            #expect(total == 1200)
        }
    }

    /// Clicks buffered for a link that is deleted before they are written are not written: its
    /// clicks went with it.
    @Test(arguments: DatabaseEngine.allCases)
    func clicksOfALinkDeletedMeanwhileAreDropped(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            try await Migrator(database: database, migrations: ApusServer.platformMigrations + LinksMigrations.all, logger: TestDatabase.logger).migrate()
            try await database.write { connection in
                try await connection.raw("""
                    INSERT INTO links_links (code, url, owner_id, redirect, created_at, updated_at)
                    VALUES ('kept', 'https://e.com', 'usr_1', 302, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')
                    """).run()
            }
            let platform = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger)
            let buffer = ClickBuffer(platform: platform, secrets: LinksSecrets(platform: platform), metrics: PrometheusCollectorRegistry(), logger: TestDatabase.logger)
            for code in ["kept", "gone"] {
                buffer.record(Click(code: code, at: Date(), referrer: nil, userAgent: "curl/8", address: "192.0.2.1", country: nil))
            }
            await buffer.flush()
            let codes = try await database.read { connection in
                try await connection.raw("SELECT DISTINCT code FROM links_clicks").all().map { try $0.decode(column: "code", as: String.self) }
            }
            #expect(codes == ["kept"])
        }
    }
}
