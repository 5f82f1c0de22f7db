@_spi(Platform) import ApusCore
import ApusTesting
import SQLKit

/// Rows of a table of the logs module's own database, for tests that check nothing is left.
func rowCount(_ table: String, in storage: ModuleDatabase) async throws -> Int {
    try await storage.read { try await $0.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int.self) ?? -1 }
}

/// Waits until the recurring job `kind` has finished its first run, which is due as the node
/// starts: a test that then runs the same work by hand is the only one doing it.
func firstRunDone(_ kind: String, on server: ApusServer) async throws -> Bool {
    try await eventually {
        try await server.platform.database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM apus_jobs WHERE kind = \(bind: kind) AND state = 'completed'").first()?.decode(column: "n", as: Int.self) ?? 0
        } >= 1
    }
}
