import ApusCore
import Foundation
import SQLKit

/// A tenant's streams: one row per distinct set of labels.
enum StreamStore {
    struct Stream: Sendable {
        let id: Int64
        let labels: LabelSet
    }

    /// The ids of the tenant's streams with these labels, each made if new while the tenant has
    /// fewer than `maxStreams`: a stream past that limit is absent from the answer. A few
    /// statements whatever the number of streams. On PostgreSQL each stream is held against the
    /// retention sweep (`FOR SHARE`) until the push commits.
    static func resolve(tenant: String, labels: [LabelSet], maxStreams: Int, now: Date, engine: DatabaseEngine, on sql: any SQLDatabase) async throws -> [LabelSet: Int64] {
        let lock = engine == .postgres
        var seen = Set<String>()
        let keys = labels.map(\.description).filter { seen.insert($0).inserted }
        var ids = try await self.ids(tenant: tenant, keys: keys, lock: lock, on: sql)
        let missing = keys.filter { ids[$0] == nil }
        if !missing.isEmpty {
            let count = try await sql.raw("SELECT COUNT(*) AS n FROM logs_streams WHERE tenant = \(bind: tenant)").first()?.decode(column: "n", as: Int.self) ?? 0
            // Admitted in the order sent, inserted in one order: two pushes making the same new
            // streams then never wait on each other's rows crosswise.
            let admitted = Array(missing.prefix(max(0, maxStreams - count))).sorted()
            let pairsOf = Dictionary(labels.map { ($0.description, $0) }, uniquingKeysWith: { first, _ in first })
            for start in stride(from: 0, to: admitted.count, by: 500) {
                let rows = SQLList(try admitted[start..<min(admitted.count, start + 500)].map { key in
                    let pairs = String(decoding: try JSONEncoder().encode(pairsOf[key]!.pairs.map { [$0.name, $0.value] }), as: UTF8.self)
                    return SQLGroupExpression([SQLBind(tenant), SQLBind(key), SQLBind(pairs), SQLBind(now.epochMilliseconds)])
                })
                try await sql.raw("INSERT INTO logs_streams (tenant, labels, pairs, created_at) VALUES \(rows) ON CONFLICT (tenant, labels) DO NOTHING").run()
            }
            ids.merge(try await self.ids(tenant: tenant, keys: admitted, lock: lock, on: sql)) { first, _ in first }
        }
        var answer: [LabelSet: Int64] = [:]
        for set in labels { answer[set] = ids[set.description] }
        return answer
    }

    /// The ids of the tenant's streams among `keys`; with `lock`, held until the transaction ends.
    private static func ids(tenant: String, keys: [String], lock: Bool, on sql: any SQLDatabase) async throws -> [String: Int64] {
        let share: SQLQueryString = lock ? "FOR SHARE" : ""
        var ids: [String: Int64] = [:]
        for start in stride(from: 0, to: keys.count, by: 500) {
            let list = SQLList(keys[start..<min(keys.count, start + 500)].map { SQLBind($0) })
            for row in try await sql.raw("SELECT id, labels FROM logs_streams WHERE tenant = \(bind: tenant) AND labels IN (\(list)) \(share)").all() {
                ids[try row.decode(column: "labels", as: String.self)] = try row.decode(column: "id", as: Int64.self)
            }
        }
        return ids
    }

    /// Every stream of every tenant.
    static func all(on sql: any SQLDatabase) async throws -> [Stream] {
        try await sql.raw("SELECT id, pairs FROM logs_streams ORDER BY id").all().map(stream)
    }

    /// Deletes the streams with no chunk left; returns how many. On PostgreSQL a stream a push is
    /// writing to right now is locked by it (`FOR SHARE` in ``resolve``) and skipped, so a chunk
    /// never arrives for a stream that is gone.
    static func deleteEmpty(engine: DatabaseEngine, on sql: any SQLDatabase) async throws -> Int {
        let lock: SQLQueryString = engine == .postgres ? "FOR UPDATE SKIP LOCKED" : ""
        let ids = try await sql.raw("""
            SELECT id FROM logs_streams s WHERE NOT EXISTS (SELECT 1 FROM logs_chunks c WHERE c.stream_id = s.id) \(lock)
            """).all().map { try $0.decode(column: "id", as: Int64.self) }
        guard !ids.isEmpty else { return 0 }
        for start in stride(from: 0, to: ids.count, by: 500) {
            let batch = SQLList(ids[start..<min(ids.count, start + 500)].map { SQLBind($0) })
            try await sql.raw("DELETE FROM logs_streams WHERE id IN (\(batch))").run()
        }
        return ids.count
    }

    private static func stream(_ row: any SQLRow) throws -> Stream {
        let pairs = try JSONDecoder().decode([[String]].self, from: Data(try row.decode(column: "pairs", as: String.self).utf8))
        return Stream(id: try row.decode(column: "id", as: Int64.self), labels: LabelSet(canonical: pairs.map { ($0[0], $0[1]) }))
    }

    /// Every tenant with a stream.
    static func tenants(on sql: any SQLDatabase) async throws -> [String] {
        try await sql.raw("SELECT DISTINCT tenant FROM logs_streams ORDER BY tenant").all().map { try $0.decode(column: "tenant", as: String.self) }
    }

    /// Every stream with its tenant.
    static func allWithTenants(on sql: any SQLDatabase) async throws -> [(stream: Stream, tenant: String)] {
        try await sql.raw("SELECT id, tenant, pairs FROM logs_streams ORDER BY id").all().map { (try stream($0), try $0.decode(column: "tenant", as: String.self)) }
    }

    /// Every stream of `tenant`.
    static func streams(tenant: String, on sql: any SQLDatabase) async throws -> [Stream] {
        try await sql.raw("SELECT id, pairs FROM logs_streams WHERE tenant = \(bind: tenant) ORDER BY id").all().map(stream)
    }
}
