import ApusCore
import ApusKit
import Foundation
import SQLKit

/// Alerts on log lines. Each push counts, in its own transaction, the stored lines each of its
/// tenant's rules keeps, into buckets of the rule's window; a recurring job, on one node at a
/// time, reads each rule's buckets into a ``SlidingWindowCounter`` and fires `logs.alert.fired`
/// (owned by the tenant, so its webhooks and notifications deliver it) when the count reaches
/// the threshold outside the cool-down. Counts follow the lines' own times, so a late batch
/// lands in the buckets it belongs to. A firing is emitted before it is recorded: a node that
/// dies between the two fires it again rather than never.
struct LogAlerts: Sendable {
    let storage: ModuleDatabase
    let platform: Platform
    /// Each tenant's rules, on every node; dropped everywhere when one is made or removed.
    let rules: BusInvalidatedCache<String, [AlertRule]>

    init(storage: ModuleDatabase, platform: Platform) {
        self.storage = storage
        self.platform = platform
        rules = platform.cache("logs.alerts", capacity: 10_000, lifetime: .seconds(300))
    }

    var now: Int64 { Int64(platform.now().timeIntervalSince1970 * 1_000_000_000) }

    func create(_ rule: AlertRule) async throws {
        do {
            try await storage.transaction { sql in try await AlertStore.insert(rule, on: sql) }
        } catch {
            // Two at once with one name: the loser meets the unique index, which is a 409 too.
            let taken = try await storage.read { sql in try await AlertStore.named(rule.name, tenant: rule.tenant, on: sql) }
            throw taken ? AlertStore.NameTaken() : error
        }
        await platform.invalidate(rules, [rule.tenant])
    }

    func list(tenant: String) async throws -> [AlertRule] {
        try await storage.read { sql in try await AlertStore.rules(tenant: tenant, on: sql) }
    }

    func delete(_ id: String, tenant: String) async throws -> Bool {
        let deleted = try await storage.transaction { sql in try await AlertStore.delete(id, tenant: tenant, on: sql) }
        if deleted { await platform.invalidate(rules, [tenant]) }
        return deleted
    }

    /// The tenant's rules, from the node's cache. Read before a push's transaction opens: a
    /// load inside it would hold one pooled connection while waiting for another.
    func rules(of tenant: String) async throws -> [AlertRule] {
        let storage = self.storage
        return try await rules.value(for: tenant) {
            try await storage.read { sql in try await AlertStore.rules(tenant: tenant, on: sql) }
        } ?? []
    }

    /// Counts, in the push's transaction, the stored lines each of `rules` keeps.
    func count(_ streams: [(labels: LabelSet, entries: [LogEntry])], rules: [AlertRule], on sql: any SQLDatabase) async throws {
        for rule in rules {
            guard let selection = rule.selection, let matcher = try? LineMatcher(selection), let pipeline = try? LabelPipeline(selection.stages) else { continue }
            var counter = SlidingWindowCounter(window: rule.window, buckets: AlertRule.buckets)
            for (labels, entries) in streams where matcher.selects(labels) {
                for entry in entries where matcher.keeps(entry.line) && (pipeline.isEmpty || pipeline.run(entry.line, labels: labels) != nil) {
                    counter.add(at: entry.timestamp)
                }
            }
            try await AlertStore.add(counter.counts, alert: rule.id, on: sql)
        }
    }

    /// What `logs.alert.fired` carries.
    struct Fired: Codable, Sendable {
        var id: String
        var name: String
        var query: String
        var count: Int
        var threshold: Int
        var window: String
        var tenant: String
    }

    /// Evaluates every rule at `time`; the ids of those fired.
    @discardableResult
    func evaluate(at time: Int64) async throws -> [String] {
        let all = try await storage.read { sql in try await AlertStore.rules(tenant: nil, on: sql) }
        // Counts a node added from a cached rule after it was removed.
        try await storage.transaction { sql in try await AlertStore.dropOrphanCounts(on: sql) }
        var fired: [String] = []
        for rule in all {
            let first = SlidingWindowCounter(window: rule.window, buckets: AlertRule.buckets).bucket(of: time - rule.window)
            let counts = try await storage.read { sql in try await AlertStore.counts(alert: rule.id, from: first, on: sql) }
            let count = SlidingWindowCounter(window: rule.window, buckets: AlertRule.buckets, counts: counts).count(at: time)
            try await storage.transaction { sql in try await AlertStore.trim(alert: rule.id, before: first, on: sql) }
            guard count >= Double(rule.threshold) else { continue }
            if let last = rule.lastFiredAt, time - last < rule.cooldown { continue }
            let event = Fired(
                id: rule.id, name: rule.name, query: rule.query, count: Int(count.rounded()), threshold: rule.threshold,
                window: AlertRule.text(rule.window), tenant: rule.tenant
            )
            try await platform.transaction { transaction in
                try await transaction.emit(LogsEvents.alertFired, aggregate: rule.id, json: event, owner: rule.tenant)
            }
            _ = try await storage.transaction { sql in try await AlertStore.markFired(rule.id, at: time, previous: rule.lastFiredAt, on: sql) }
            fired.append(rule.id)
        }
        return fired
    }
}
