@testable import ApusCore
import ApusTesting
import Foundation
import Testing

/// A claim left unfinished by a node that died frees its key once its lease is over; a finished
/// one is kept for the whole lifetime.
@Suite struct IdempotencyLeaseTests {
    @Test(arguments: DatabaseEngine.allCases)
    func anAbandonedClaimFreesItsKeyAfterItsLease(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            try await Migrator(database: database, migrations: [IdempotencyStore.migration], logger: TestDatabase.logger).migrate()
            let holding = IdempotencyStore(database: database, claimLease: 60)
            guard case .started = try await holding.begin(scope: "u", key: "k", fingerprint: "f") else { Issue.record("not started"); return }
            guard case .inProgress = try await holding.begin(scope: "u", key: "k", fingerprint: "f") else { Issue.record("not in progress"); return }
            // A lease already over: the next request takes the key.
            let lapsed = IdempotencyStore(database: database, claimLease: -1)
            guard case .started = try await lapsed.begin(scope: "u", key: "k2", fingerprint: "f") else { Issue.record("not started"); return }
            guard case .started(let owner) = try await lapsed.begin(scope: "u", key: "k2", fingerprint: "f") else { Issue.record("not taken over"); return }
            // Completed, the answer outlives the lease.
            try await lapsed.complete(scope: "u", key: "k2", owner: owner, response: .init(status: 201, contentType: nil, location: nil, body: []))
            guard case .replay(let stored) = try await lapsed.begin(scope: "u", key: "k2", fingerprint: "f") else { Issue.record("not replayed"); return }
            #expect(stored.status == 201)
        }
    }
}
