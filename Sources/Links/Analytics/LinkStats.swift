import ApusCore
import Foundation
import Hummingbird
import SQLKit

/// `GET /v1/links/{code}/stats`: what the clicks of a link add up to. Bots are recorded but
/// left out of every count.
struct LinkStats: Codable, Sendable, ResponseEncodable {
    struct Point: Codable, Sendable, Equatable {
        var at: String
        var clicks: Int
    }

    struct Share: Codable, Sendable, Equatable {
        var name: String
        var clicks: Int
    }

    var code: String
    var from: Date
    var to: Date
    var interval: String
    var clicks: Int
    var uniqueVisitors: Int
    var bots: Int
    var series: [Point]
    var referrers: [Share]
    var browsers: [Share]
    var devices: [Share]
    var countries: [Share]

    static func load(code: String, from: Date, to: Date, interval: String, read: DatabaseReads) async throws -> LinkStats {
        let start = Timestamp.format(from)
        let end = Timestamp.format(to)
        // RFC 3339 text sorts by time, and its prefix is the hour or the day, on both engines.
        // Rows are per-minute roll-ups, so every count is a SUM of their clicks.
        let prefix = interval == "hour" ? 13 : 10
        return try await read { connection in
            let totals = try await connection.raw("""
                SELECT COALESCE(SUM(CASE WHEN is_bot = 0 THEN clicks ELSE 0 END), 0) AS clicks,
                       COALESCE(SUM(CASE WHEN is_bot = 1 THEN clicks ELSE 0 END), 0) AS bots,
                       COUNT(DISTINCT CASE WHEN is_bot = 0 THEN visitor END) AS visitors
                FROM links_clicks WHERE code = \(bind: code) AND clicked_at >= \(bind: start) AND clicked_at < \(bind: end)
                """).first()
            let series = try await connection.raw("""
                SELECT substr(clicked_at, 1, \(unsafeRaw: String(prefix))) AS bucket, SUM(clicks) AS clicks
                FROM links_clicks WHERE code = \(bind: code) AND is_bot = 0 AND clicked_at >= \(bind: start) AND clicked_at < \(bind: end)
                GROUP BY substr(clicked_at, 1, \(unsafeRaw: String(prefix))) ORDER BY bucket
                """).all().map { row in
                    let bucket = try row.decode(column: "bucket", as: String.self)
                    return Point(at: bucket + (prefix == 13 ? ":00:00Z" : "T00:00:00Z"), clicks: try row.decode(column: "clicks", as: Int.self))
                }
            func top(_ column: String) async throws -> [Share] {
                try await connection.raw("""
                    SELECT COALESCE(\(unsafeRaw: column), 'unknown') AS name, SUM(clicks) AS clicks
                    FROM links_clicks WHERE code = \(bind: code) AND is_bot = 0 AND clicked_at >= \(bind: start) AND clicked_at < \(bind: end)
                    GROUP BY COALESCE(\(unsafeRaw: column), 'unknown') ORDER BY clicks DESC, name LIMIT 10
                    """).all().map { Share(name: try $0.decode(column: "name", as: String.self), clicks: try $0.decode(column: "clicks", as: Int.self)) }
            }
            return LinkStats(
                code: code, from: from, to: to, interval: interval,
                clicks: try totals?.decode(column: "clicks", as: Int.self) ?? 0,
                uniqueVisitors: try totals?.decode(column: "visitors", as: Int.self) ?? 0,
                bots: try totals?.decode(column: "bots", as: Int.self) ?? 0,
                series: series,
                referrers: try await top("referrer_host"),
                browsers: try await top("browser"),
                devices: try await top("device"),
                countries: try await top("country")
            )
        }
    }
}
