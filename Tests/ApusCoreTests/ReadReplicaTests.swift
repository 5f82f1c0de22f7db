@testable import ApusCore
import ApusTesting
import Foundation
import Prometheus
import SQLKit
import Testing

/// Reads through a real streaming replica of the test server (`pg_basebackup -R`): its replay
/// is paused to hold it behind, so these run one at a time.
@Suite(.serialized) struct ReadReplicaTests {
    @Test func requestReadsGoToTheReplicaUnlessItHasNotReplayedWhatTheClientSaw() async throws {
        try await TestDatabase.withDatabase(.postgres) { primary in
            try await primary.write { try await $0.raw("CREATE TABLE t_items (id INT PRIMARY KEY, name TEXT NOT NULL)").run() }
            try await primary.write { try await $0.raw("INSERT INTO t_items VALUES (1, 'old')").run() }
            let metrics = PrometheusCollectorRegistry()
            // A lag allowance that the machine's load does not reach, so the replica stays in
            // until the test holds it back.
            let replicas = try ReadReplicas(settings: Self.settings(try TestDatabase.replica(of: primary), maxLag: 3), primary: primary, metrics: metrics, logger: TestDatabase.logger)
            let reads = DatabaseReads(database: primary, replicas: replicas)
            let monitor = Task { await ReplicaMonitor(replicas: replicas, now: { Date() }).run() }
            defer { monitor.cancel() }
            let created = try await replicas.primaryPosition()
            #expect(try await eventually { replicas.choose(after: created) != nil }, "the replica never caught up")

            let stale = try await TestReplica.whilePaused(replicaOf: primary) {
                try await primary.write { try await $0.raw("UPDATE t_items SET name = 'new' WHERE id = 1").run() }
                let updated = try await replicas.primaryPosition()
                // A request with no position reads the replica, which has not replayed the update.
                let seen = try await Self.name(reads, during: ReadConsistency(required: nil))
                // A request that saw the update reads the primary; so does work outside requests.
                #expect(try await Self.name(reads, during: ReadConsistency(required: updated)) == "new")
                #expect(try await Self.name(reads, during: nil) == "new")
                #expect(try await reads.primary { try await Self.name(on: $0) } == "new")
                // A request that has written reads its own writes: the primary.
                let wrote = ReadConsistency(required: nil)
                wrote.markWritten()
                #expect(try await Self.name(reads, during: wrote) == "new")
                // The primary moves on while the replica stands still: past the maximum lag it
                // is out, and every read goes to the primary.
                let out = try await eventually(20) {
                    try await primary.write { try await $0.raw("UPDATE t_items SET id = id WHERE id = 1").run() }
                    return replicas.choose(after: nil) == nil
                }
                #expect(out, "a replica lagging past the maximum stayed in")
                #expect(try await Self.name(reads, during: ReadConsistency(required: nil)) == "new")
                #expect(Self.exposition(metrics).contains(#"apus_database_replica_up{replica="#))
                return (seen, updated)
            }
            #expect(stale.0 == "old", "the request's read did not go to the replica")
            // Replay resumes: the replica comes back and serves the reader who saw the update.
            #expect(try await eventually { replicas.choose(after: stale.1) != nil }, "the replica never came back")
            #expect(try await Self.name(reads, during: ReadConsistency(required: stale.1)) == "new")
            let exposition = Self.exposition(metrics)
            #expect(exposition.contains(#"apus_database_reads_total{target="replica"} 2"#), "\(exposition)")
            #expect(exposition.contains(#"apus_database_reads_total{target="primary"} 4"#), "\(exposition)")
        }
    }

    @Test func aReplicaThatWentAwayCostsAReadNoMoreThanTheReadTimeout() async throws {
        try await TestDatabase.withDatabase(.postgres) { primary in
            try await primary.write { try await $0.raw("CREATE TABLE t_items (id INT PRIMARY KEY, name TEXT NOT NULL)").run() }
            try await primary.write { try await $0.raw("INSERT INTO t_items VALUES (1, 'only')").run() }
            // Nothing listens on port 1: the pool keeps trying to connect instead of failing.
            var nowhere = try TestDatabase.replica(of: primary)
            nowhere.port = 1
            var settings = Self.settings(nowhere, maxLag: 1)
            settings.readTimeout = 1
            let replicas = try ReadReplicas(settings: settings, primary: primary, metrics: PrometheusCollectorRegistry(), logger: TestDatabase.logger)
            let reads = DatabaseReads(database: primary, replicas: replicas)
            // As the last check left it before it went away: in, and current.
            replicas.replicas[0].record(usable: true, replayed: WALPosition(.max), lagSeconds: 0)
            let started = ContinuousClock.now
            #expect(try await Self.name(reads, during: ReadConsistency(required: nil)) == "only")
            #expect(ContinuousClock.now - started < .seconds(3))
            #expect(replicas.choose(after: nil) == nil, "the replica stayed in after a failed read")
        }
    }

    @Test func aStatementSlowerThanTheReadTimeoutRunsToItsEndOnTheReplica() async throws {
        try await TestDatabase.withDatabase(.postgres) { primary in
            var settings = Self.settings(try TestDatabase.replica(of: primary), maxLag: 5)
            // Well under the statement's one second, with room for a loaded machine to hand out
            // a connection in time.
            settings.readTimeout = 0.6
            let replicas = try ReadReplicas(settings: settings, primary: primary, metrics: PrometheusCollectorRegistry(), logger: TestDatabase.logger)
            let reads = DatabaseReads(database: primary, replicas: replicas)
            let monitor = Task { await ReplicaMonitor(replicas: replicas, now: { Date() }).run() }
            defer { monitor.cancel() }
            #expect(try await eventually { replicas.canServe(after: nil) })
            // The deadline bounds getting a connection, not the statement: a slow read is
            // answered by the replica, which stays in.
            let answeredByStandby = try await ReadConsistency.$current.withValue(ReadConsistency(required: nil)) {
                try await reads { sql in
                    try await sql.raw("SELECT pg_is_in_recovery() AS standby, pg_sleep(1)::text AS slept").first()!.decode(column: "standby", as: Bool.self)
                }
            }
            #expect(answeredByStandby)
            #expect(replicas.canServe(after: nil), "a slow statement took the replica out")
        }
    }

    @Test func aTableTheReplicaHasNotReplayedIsReadFromThePrimaryAndTheReplicaStaysIn() async throws {
        try await TestDatabase.withDatabase(.postgres) { primary in
            let replicas = try ReadReplicas(
                settings: Self.settings(try TestDatabase.replica(of: primary), maxLag: 10), primary: primary, metrics: PrometheusCollectorRegistry(), logger: TestDatabase.logger
            )
            let reads = DatabaseReads(database: primary, replicas: replicas)
            let monitor = Task { await ReplicaMonitor(replicas: replicas, now: { Date() }).run() }
            defer { monitor.cancel() }
            #expect(try await eventually { replicas.canServe(after: nil) })
            try await TestReplica.whilePaused(replicaOf: primary) {
                // An expand migration the replica has not replayed yet (42P01 there).
                try await primary.write { try await $0.raw("CREATE TABLE t_added (id INT PRIMARY KEY)").run() }
                try await primary.write { try await $0.raw("INSERT INTO t_added VALUES (1)").run() }
                let count = try await ReadConsistency.$current.withValue(ReadConsistency(required: nil)) {
                    try await reads { try await $0.raw("SELECT COUNT(*) AS n FROM t_added").first()!.decode(column: "n", as: Int.self) }
                }
                #expect(count == 1)
                #expect(replicas.canServe(after: nil), "a statement the standby refused took it out")
            }
        }
    }

    @Test func aReplicaThatRefusesConnectionsIsOutAfterOneCheckNotAReadTimeout() async throws {
        try await TestDatabase.withDatabase(.postgres) { primary in
            var nowhere = try TestDatabase.replica(of: primary)
            nowhere.port = 1
            var settings = Self.settings(nowhere, maxLag: 1)
            settings.readTimeout = 30
            let replicas = try ReadReplicas(settings: settings, primary: primary, metrics: PrometheusCollectorRegistry(), logger: TestDatabase.logger)
            replicas.replicas[0].record(usable: true, replayed: WALPosition(.max), lagSeconds: 0)
            let monitor = Task { await ReplicaMonitor(replicas: replicas, now: { Date() }).run() }
            defer { monitor.cancel() }
            // The read pool would keep retrying the refused connection until the read timeout;
            // the check's own connection fails at once.
            #expect(try await eventually(5) { !replicas.canServe(after: nil) }, "a refusing replica stayed in")
        }
    }

    @Test func aReadThatFailsOnTheReplicaTakesItOutAndRunsOnThePrimary() async throws {
        try await TestDatabase.withDatabase(.postgres) { primary in
            try await primary.write { try await $0.raw("CREATE TABLE t_items (id INT PRIMARY KEY, name TEXT NOT NULL)").run() }
            try await primary.write { try await $0.raw("INSERT INTO t_items VALUES (1, 'here')").run() }
            let replicas = try ReadReplicas(
                settings: Self.settings(try TestDatabase.replica(of: primary), maxLag: 5), primary: primary, metrics: PrometheusCollectorRegistry(), logger: TestDatabase.logger
            )
            let reads = DatabaseReads(database: primary, replicas: replicas)
            let monitor = Task { await ReplicaMonitor(replicas: replicas, now: { Date() }).run() }
            let position = try await replicas.primaryPosition()
            #expect(try await eventually { replicas.choose(after: position) != nil })
            // Stop checking, then close the replica's pool under it: the next read fails there.
            monitor.cancel()
            await monitor.value
            await replicas.replicas[0].backend.close()
            #expect(try await Self.name(reads, during: ReadConsistency(required: nil)) == "here")
            #expect(replicas.choose(after: nil) == nil)
        }
    }

    @Test func settingsComeFromTheEnvironmentAndNeedAPostgreSQLPrimary() throws {
        let settings = try ReplicaSettings(environment: [
            "APUS_DATABASE_REPLICA_URLS": "postgres://a@r1:5433/apus, postgres://a@r2/apus?sslmode=disable",
            "APUS_REPLICA_MAX_LAG": "2.5",
        ])
        #expect(settings.locations.map(\.host) == ["r1", "r2"])
        #expect(settings.locations.map(\.port) == [5433, 5432])
        #expect(settings.maxLag == 2.5)
        #expect(throws: ConfigurationError.self) { try ReplicaSettings(environment: ["APUS_DATABASE_REPLICA_URLS": "sqlite:///tmp/x"]) }
        #expect(throws: ConfigurationError.self) { try ReplicaSettings(environment: ["APUS_REPLICA_MAX_LAG": "soon"]) }
        var configuration = try ApusConfiguration(environment: ["APUS_DATABASE_REPLICA_URLS": "postgres://a@r1/apus"])
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.databaseURL = "postgres://a@primary/apus"
        try configuration.validate()
    }

    @Test func aDirectURLIsAPostgreSQLSessionBesideAPostgreSQLPrimary() throws {
        var configuration = try ApusConfiguration(environment: [
            "APUS_DATABASE_URL": "postgres://a@pgbouncer:6432/apus", "APUS_DATABASE_DIRECT_URL": "postgres://a@primary:5432/apus",
        ])
        #expect(configuration.databaseDirectURL == "postgres://a@primary:5432/apus")
        try configuration.validate()
        configuration.databaseDirectURL = "sqlite:///tmp/apus.sqlite"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.databaseDirectURL = "postgres://a@primary/apus"
        configuration.databaseURL = nil
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        #expect(throws: ConfigurationError.invalid("APUS_DATABASE_DIRECT_URL", "has no host")) {
            try ApusConfiguration(environment: ["APUS_DATABASE_URL": "postgres://a@h/apus", "APUS_DATABASE_DIRECT_URL": "postgres:///apus"]).validate()
        }
    }

    static func settings(_ location: DatabaseLocation.PostgresLocation, maxLag: Double) -> ReplicaSettings {
        var settings = ReplicaSettings()
        settings.locations = [location]
        settings.checkInterval = 0.05
        settings.maxLag = maxLag
        settings.maximumConnections = 2
        return settings
    }

    static func name(on sql: any SQLDatabase) async throws -> String {
        try await sql.raw("SELECT name FROM t_items WHERE id = 1").first()!.decode(column: "name", as: String.self)
    }

    /// Reads the item's name as a request carrying `consistency` would (`nil`: outside requests).
    static func name(_ reads: DatabaseReads, during consistency: ReadConsistency?) async throws -> String {
        try await ReadConsistency.$current.withValue(consistency) { try await reads { try await name(on: $0) } }
    }

    static func exposition(_ metrics: PrometheusCollectorRegistry) -> String {
        var bytes: [UInt8] = []
        metrics.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
