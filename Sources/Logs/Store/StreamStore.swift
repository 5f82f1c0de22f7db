import ApusCore
import Foundation
import SQLKit

/// A tenant's streams: one row per distinct set of labels.
enum StreamStore {
    struct Stream: Sendable {
        let id: Int64
        let labels: LabelSet
    }

    /// Too many streams for one tenant: a new one is refused.
    struct LimitReached: Error {
        let limit: Int
    }

    /// The id of the tenant's stream with `labels`, made if new and within `maxStreams`.
    static func resolve(tenant: String, labels: LabelSet, maxStreams: Int, now: Date, engine: DatabaseEngine, on sql: any SQLDatabase) async throws -> Int64 {
        let key = labels.description
        if let id = try await id(tenant: tenant, key: key, lock: engine == .postgres, on: sql) { return id }
        let count = try await sql.raw("SELECT COUNT(*) AS n FROM logs_streams WHERE tenant = \(bind: tenant)").first()?.decode(column: "n", as: Int.self) ?? 0
        guard count < maxStreams else { throw LimitReached(limit: maxStreams) }
        let pairs = String(decoding: try JSONEncoder().encode(labels.pairs.map { [$0.name, $0.value] }), as: UTF8.self)
        try await sql.raw("""
            INSERT INTO logs_streams (tenant, labels, pairs, created_at) VALUES (\(bind: tenant), \(bind: key), \(bind: pairs), \(bind: now.epochMilliseconds))
            ON CONFLICT (tenant, labels) DO NOTHING
            """).run()
        guard let id = try await id(tenant: tenant, key: key, lock: engine == .postgres, on: sql) else { throw LimitReached(limit: maxStreams) }
        return id
    }

    /// The stream's id; with `lock`, held against the retention sweep until the push commits.
    private static func id(tenant: String, key: String, lock: Bool, on sql: any SQLDatabase) async throws -> Int64? {
        let share: SQLQueryString = lock ? "FOR SHARE" : ""
        return try await sql.raw("SELECT id FROM logs_streams WHERE tenant = \(bind: tenant) AND labels = \(bind: key) \(share)").first()?.decode(column: "id", as: Int64.self)
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
