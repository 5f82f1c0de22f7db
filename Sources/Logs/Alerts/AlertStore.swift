import ApusCore
import SQLKit

/// Alert rules and their counts per bucket, in the module's own database.
enum AlertStore {
    /// Another rule of the tenant has the name.
    struct NameTaken: Error {}

    static func insert(_ rule: AlertRule, on sql: any SQLDatabase) async throws {
        let taken = try await sql.raw("SELECT 1 AS one FROM logs_alerts WHERE tenant = \(bind: rule.tenant) AND name = \(bind: rule.name)").first()
        guard taken == nil else { throw NameTaken() }
        try await sql.raw("""
            INSERT INTO logs_alerts (id, tenant, name, query, window_ns, threshold, cooldown_ns, created_at)
            VALUES (\(bind: rule.id), \(bind: rule.tenant), \(bind: rule.name), \(bind: rule.query), \(bind: rule.window), \(bind: rule.threshold), \(bind: rule.cooldown), \(bind: rule.createdAt))
            """).run()
    }

    /// Whether the tenant has a rule of this name.
    static func named(_ name: String, tenant: String, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("SELECT 1 AS one FROM logs_alerts WHERE tenant = \(bind: tenant) AND name = \(bind: name)").first() != nil
    }

    /// Removes counts whose rule is gone.
    static func dropOrphanCounts(on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM logs_alert_counts WHERE alert_id NOT IN (SELECT id FROM logs_alerts)").run()
    }

    /// The tenant's rules, or every tenant's.
    static func rules(tenant: String?, on sql: any SQLDatabase) async throws -> [AlertRule] {
        let filter: SQLQueryString = tenant.map { "WHERE tenant = \(bind: $0)" } ?? ""
        return try await sql.raw("SELECT id, tenant, name, query, window_ns, threshold, cooldown_ns, created_at, last_fired_at FROM logs_alerts \(filter) ORDER BY created_at, id")
            .all().map { row in
                AlertRule(
                    id: try row.decode(column: "id", as: String.self), tenant: try row.decode(column: "tenant", as: String.self),
                    name: try row.decode(column: "name", as: String.self), query: try row.decode(column: "query", as: String.self),
                    window: try row.decode(column: "window_ns", as: Int64.self), threshold: try row.decode(column: "threshold", as: Int.self),
                    cooldown: try row.decode(column: "cooldown_ns", as: Int64.self), createdAt: try row.decode(column: "created_at", as: Int64.self),
                    lastFiredAt: try row.decode(column: "last_fired_at", as: Int64?.self)
                )
            }
    }

    /// Removes a rule of the tenant and its counts; whether there was one.
    static func delete(_ id: String, tenant: String, on sql: any SQLDatabase) async throws -> Bool {
        let found = try await sql.raw("SELECT 1 AS one FROM logs_alerts WHERE id = \(bind: id) AND tenant = \(bind: tenant)").first()
        guard found != nil else { return false }
        try await sql.raw("DELETE FROM logs_alert_counts WHERE alert_id = \(bind: id)").run()
        try await sql.raw("DELETE FROM logs_alerts WHERE id = \(bind: id)").run()
        return true
    }

    /// Adds `counts` (per bucket) to a rule's.
    static func add(_ counts: [Int64: Int], alert: String, on sql: any SQLDatabase) async throws {
        guard !counts.isEmpty else { return }
        let rows = SQLList(counts.sorted { $0.key < $1.key }.map { SQLGroupExpression([SQLBind(alert), SQLBind($0.key), SQLBind($0.value)]) })
        try await sql.raw("""
            INSERT INTO logs_alert_counts (alert_id, bucket, count) VALUES \(rows)
            ON CONFLICT (alert_id, bucket) DO UPDATE SET count = logs_alert_counts.count + excluded.count
            """).run()
    }

    /// A rule's counts from bucket `first` on.
    static func counts(alert: String, from first: Int64, on sql: any SQLDatabase) async throws -> [Int64: Int] {
        let rows = try await sql.raw("SELECT bucket, count FROM logs_alert_counts WHERE alert_id = \(bind: alert) AND bucket >= \(bind: first)").all()
        var counts: [Int64: Int] = [:]
        for row in rows { counts[try row.decode(column: "bucket", as: Int64.self)] = try row.decode(column: "count", as: Int.self) }
        return counts
    }

    /// Forgets a rule's buckets before `first`: no window can reach them again.
    static func trim(alert: String, before first: Int64, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM logs_alert_counts WHERE alert_id = \(bind: alert) AND bucket < \(bind: first)").run()
    }

    /// Records a firing, unless another node recorded one since `previous` (the rule's time as
    /// read); whether this call did.
    static func markFired(_ id: String, at time: Int64, previous: Int64?, on sql: any SQLDatabase) async throws -> Bool {
        let condition: SQLQueryString = previous.map { "last_fired_at = \(bind: $0)" } ?? "last_fired_at IS NULL"
        let rows = try await sql.raw("UPDATE logs_alerts SET last_fired_at = \(bind: time) WHERE id = \(bind: id) AND \(condition) RETURNING id").all()
        return !rows.isEmpty
    }
}
