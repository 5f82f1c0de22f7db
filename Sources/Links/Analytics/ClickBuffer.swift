import ApusCore
import Crypto
import Foundation
import Logging
import Prometheus
import SQLKit
import ServiceLifecycle

/// Clicks wait here, off the redirect's path, and are written in batches by the platform's
/// ``BatchedWriter``: when `batchSize` have gathered, every second, and at shutdown, at most
/// `capacity` waiting. What this type adds is how a batch is written: repeats folded into one
/// row a minute, each visit classified and hashed once.
final class ClickBuffer: Service, Sendable {
    private let writer: BatchedWriter<Click>

    var capacity: Int { writer.capacity }
    var batchSize: Int { writer.batchSize }

    init(platform: Platform, secrets: LinksSecrets, metrics: PrometheusCollectorRegistry, logger: Logger, capacity: Int = 100_000, batchSize: Int = 1000) {
        let rows = ClickRows(platform: platform, secrets: secrets)
        writer = BatchedWriter(
            subsystem: "links", noun: "clicks", capacity: capacity, batchSize: batchSize, metrics: metrics, logger: logger,
            write: { clicks in try await rows.insert(clicks) }
        )
    }

    /// Adds a click; `false` (and counted) when the buffer is full.
    @discardableResult
    func record(_ click: Click) -> Bool { writer.record(click) }

    /// Writes everything buffered now.
    func flush() async { await writer.flush() }

    func run() async throws { try await writer.run() }
}

/// How a batch of clicks becomes rows of `links_clicks`.
private struct ClickRows: Sendable {
    let platform: Platform
    let secrets: LinksSecrets

    /// A click as a batch folds it: clicks that share all of these are one row's count.
    private struct Visit: Hashable {
        let code: String
        let minute: Int
        let referrer: String?
        let userAgent: String?
        let address: String
        let country: String?
    }

    /// One row of `links_clicks`: the clicks of one minute that share everything the statistics
    /// group by. Under load most clicks of a batch fold into few rows.
    private struct Rollup: Hashable {
        let code: String
        let minute: Int
        let referrerHost: String?
        let browser: String
        let os: String
        let device: String
        let isBot: Bool
        let country: String?
        let visitor: String
    }

    /// The rows a batch adds up to. Repeats are folded first, so each distinct visit is
    /// classified and hashed once, and a user agent classified once a batch.
    private func rollups(_ clicks: [Click]) async throws -> [Rollup: Int] {
        var visits: [Visit: Int] = [:]
        for click in clicks {
            let minute = Int((click.at.timeIntervalSince1970 / 60).rounded(.down))
            visits[Visit(code: click.code, minute: minute, referrer: click.referrer, userAgent: click.userAgent, address: click.address, country: click.country), default: 0] += 1
        }
        let visitors = try await secrets.values().visitors
        var agents: [String: UserAgentClass] = [:]
        var salts: [Int: SymmetricKey] = [:]
        var rollups: [Rollup: Int] = [:]
        for (visit, count) in visits {
            let agent = agents[visit.userAgent ?? ""] ?? UserAgentClass(visit.userAgent)
            agents[visit.userAgent ?? ""] = agent
            // The salt changes at midnight UTC.
            let day = visit.minute / 1440
            let salt = salts[day] ?? visitors.salt(for: Date(timeIntervalSince1970: Double(visit.minute) * 60))
            salts[day] = salt
            let rollup = Rollup(
                code: visit.code, minute: visit.minute,
                referrerHost: visit.referrer.flatMap { URLComponents(string: $0)?.host?.lowercased() },
                browser: agent.browser, os: agent.os, device: agent.device, isBot: agent.isBot, country: visit.country,
                visitor: visitors.hash(address: visit.address, userAgent: visit.userAgent, salt: salt)
            )
            rollups[rollup, default: 0] += count
        }
        return rollups
    }

    func insert(_ clicks: [Click]) async throws {
        let rollups = try await rollups(clicks)
        var minutes: [Int: String] = [:]
        var rows: [[SQLBind]] = []
        var rowCodes: [String] = []
        for (rollup, count) in rollups {
            let minute = minutes[rollup.minute] ?? Timestamp.format(Date(timeIntervalSince1970: Double(rollup.minute) * 60))
            minutes[rollup.minute] = minute
            rowCodes.append(rollup.code)
            rows.append([
                SQLBind(rollup.code), SQLBind(minute), SQLBind(rollup.referrerHost),
                SQLBind(rollup.browser), SQLBind(rollup.os), SQLBind(rollup.device),
                SQLBind(rollup.isBot ? 1 : 0), SQLBind(rollup.country), SQLBind(rollup.visitor), SQLBind(count),
            ])
        }
        let values = rows
        let codesOfRows = rowCodes
        let codes = Array(Set(rowCodes))
        try await platform.transaction { transaction in
            let connection = transaction.sql
            // A link deleted since its clicks were buffered keeps none: its clicks went with it. On
            // PostgreSQL the rows are locked until this commits, so a deletion either waits and
            // then takes these clicks too, or commits first and the link is not found here.
            var known = SQLQueryString("SELECT code FROM links_links WHERE code IN (")
            for (index, code) in codes.enumerated() {
                if index > 0 { known.appendLiteral(", ") }
                known.appendInterpolation(bind: code)
            }
            known.appendLiteral(connection.dialect.name == "postgresql" ? ") FOR KEY SHARE" : ")")
            let existing = Set(try await connection.raw(known).all().map { try $0.decode(column: "code", as: String.self) })
            let kept = zip(values, codesOfRows).filter { existing.contains($0.1) }.map(\.0)
            guard !kept.isEmpty else { return }
            var insert = connection.insert(into: "links_clicks")
                .columns("code", "clicked_at", "referrer_host", "browser", "os", "device", "is_bot", "country", "visitor", "clicks")
            for row in kept { insert = insert.values(row) }
            try await insert.run()
        }
    }
}
