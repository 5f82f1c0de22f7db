public import ApusCore
import Foundation

/// The test server's streaming replica (`APUS_TEST_POSTGRES_REPLICA_URL`), held behind on purpose.
public enum TestReplica {
    /// Pauses the replica's replay around `body`, so it serves what it had before, and always
    /// resumes it. One test at a time holds it paused: the replica is shared by every test, and
    /// another's resume would end this one's pause.
    public static func whilePaused<Result: Sendable>(replicaOf database: any Database, _ body: () async throws -> Result) async throws -> Result {
        await turns.acquire()
        do {
            let result = try await paused(replicaOf: database, body)
            await turns.release()
            return result
        } catch {
            await turns.release()
            throw error
        }
    }

    private static let turns = Turns()

    private static func paused<Result: Sendable>(replicaOf database: any Database, _ body: () async throws -> Result) async throws -> Result {
        var location = try TestDatabase.replica(of: database)
        location.searchPath = nil
        let replica = try await PostgresBackend.open(location, maximumConnections: 1, logger: TestDatabase.logger)
        try await replica.read { try await $0.raw("SELECT pg_wal_replay_pause()").run() }
        do {
            let result = try await body()
            try await replica.read { try await $0.raw("SELECT pg_wal_replay_resume()").run() }
            await replica.close()
            return result
        } catch {
            try? await replica.read { try await $0.raw("SELECT pg_wal_replay_resume()").run() }
            await replica.close()
            throw error
        }
    }
}

/// One holder at a time, the others waiting in order.
private actor Turns {
    private var held = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard held else {
            held = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { held = false } else { waiting.removeFirst().resume() }
    }
}
