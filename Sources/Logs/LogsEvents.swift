import ApusCore
import SQLKit

/// The events the logs module takes part in: it emits an alert's firing, and consumes
/// Identity's user deletion, which removes the user's tenant: its streams and their chunks.
enum LogsEvents {
    static let alertFired = "logs.alert.fired"

    /// The events the module emits.
    static let all = [
        EventDeclaration(
            alertFired, summary: "An alert's log query kept at least its threshold of lines within its window (owned by the alert's tenant).",
            payload: OpenAPIDocument.object([
                "id": ["type": "string"], "name": ["type": "string"], "query": ["type": "string"], "count": ["type": "integer"],
                "threshold": ["type": "integer"], "window": ["type": "string"], "tenant": ["type": "string"],
            ])
        ),
    ]

    /// Removes a deleted user's logs and alerts from the module's own database. It runs beside the
    /// consumer's transaction, not in it (the lines live in another database), and is
    /// idempotent, so a redelivery deletes nothing twice.
    static func tenantConsumer(storage: ModuleDatabase) -> EventConsumer {
        EventConsumer(name: "logs.tenants", typePrefixes: [IdentityEvents.userDeleted]) { event, _ in
            guard let change = IdentityEvents.UserChange.decode(event) else { return }
            try await storage.transaction { sql in
                try await sql.raw("DELETE FROM logs_chunk_keys WHERE stream_id IN (SELECT id FROM logs_streams WHERE tenant = \(bind: change.userId))").run()
                try await sql.raw("DELETE FROM logs_chunks WHERE stream_id IN (SELECT id FROM logs_streams WHERE tenant = \(bind: change.userId))").run()
                try await sql.raw("DELETE FROM logs_streams WHERE tenant = \(bind: change.userId)").run()
                try await sql.raw("DELETE FROM logs_alert_counts WHERE alert_id IN (SELECT id FROM logs_alerts WHERE tenant = \(bind: change.userId))").run()
                try await sql.raw("DELETE FROM logs_alerts WHERE tenant = \(bind: change.userId)").run()
            }
        }
    }
}
