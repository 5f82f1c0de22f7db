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
    static func resolve(tenant: String, labels: LabelSet, maxStreams: Int, now: Date, on sql: any SQLDatabase) async throws -> Int64 {
        let key = labels.description
        if let id = try await id(tenant: tenant, key: key, on: sql) { return id }
        let count = try await sql.raw("SELECT COUNT(*) AS n FROM logs_streams WHERE tenant = \(bind: tenant)").first()?.decode(column: "n", as: Int.self) ?? 0
        guard count < maxStreams else { throw LimitReached(limit: maxStreams) }
        let pairs = String(decoding: try JSONEncoder().encode(labels.pairs.map { [$0.name, $0.value] }), as: UTF8.self)
        try await sql.raw("""
            INSERT INTO logs_streams (tenant, labels, pairs, created_at) VALUES (\(bind: tenant), \(bind: key), \(bind: pairs), \(bind: now.epochMilliseconds))
            ON CONFLICT (tenant, labels) DO NOTHING
            """).run()
        guard let id = try await id(tenant: tenant, key: key, on: sql) else { throw LimitReached(limit: maxStreams) }
        return id
    }

    private static func id(tenant: String, key: String, on sql: any SQLDatabase) async throws -> Int64? {
        try await sql.raw("SELECT id FROM logs_streams WHERE tenant = \(bind: tenant) AND labels = \(bind: key)").first()?.decode(column: "id", as: Int64.self)
    }

    /// Every stream of `tenant`.
    static func streams(tenant: String, on sql: any SQLDatabase) async throws -> [Stream] {
        try await sql.raw("SELECT id, pairs FROM logs_streams WHERE tenant = \(bind: tenant) ORDER BY id").all().map { row in
            let pairs = try JSONDecoder().decode([[String]].self, from: Data(try row.decode(column: "pairs", as: String.self).utf8))
            return Stream(id: try row.decode(column: "id", as: Int64.self), labels: LabelSet(canonical: pairs.map { ($0[0], $0[1]) }))
        }
    }
}
