import ApusCore
import SQLKit

/// The events the logs module takes part in. It emits none yet; it consumes Identity's user
/// deletion, which removes the user's tenant: its streams and their chunks.
enum LogsEvents {
    /// The events the module emits: none.
    static let all: [EventDeclaration] = []

    /// Removes a deleted user's logs from the module's own database. It runs beside the
    /// consumer's transaction, not in it (the lines live in another database), and is
    /// idempotent, so a redelivery deletes nothing twice.
    static func tenantConsumer(storage: ModuleDatabase) -> EventConsumer {
        EventConsumer(name: "logs.tenants", typePrefixes: [IdentityEvents.userDeleted]) { event, _ in
            guard let change = IdentityEvents.UserChange.decode(event) else { return }
            try await storage.transaction { sql in
                try await sql.raw("DELETE FROM logs_chunk_keys WHERE stream_id IN (SELECT id FROM logs_streams WHERE tenant = \(bind: change.userId))").run()
                try await sql.raw("DELETE FROM logs_chunks WHERE stream_id IN (SELECT id FROM logs_streams WHERE tenant = \(bind: change.userId))").run()
                try await sql.raw("DELETE FROM logs_streams WHERE tenant = \(bind: change.userId)").run()
            }
        }
    }
}
