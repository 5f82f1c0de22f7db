import ApusCore
import SQLKit

/// Rows of a table of the logs module's own database, for tests that check nothing is left.
func rowCount(_ table: String, in storage: ModuleDatabase) async throws -> Int {
    try await storage.read { try await $0.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int.self) ?? -1 }
}
