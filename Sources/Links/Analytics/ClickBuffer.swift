import ApusCore
import Crypto
import Foundation
import Logging
import Prometheus
import SQLKit
import ServiceLifecycle
import Synchronization

/// Clicks wait here, off the redirect's path, and are written in batches: when `batchSize` have
/// gathered, every second, and at shutdown. The buffer is bounded: past `capacity` clicks a new
/// one is dropped and counted, never letting memory grow without end.
final class ClickBuffer: Service, Sendable {
    private let pending = Mutex<[Click]>([])
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let database: any Database
    private let secrets: InstallSecrets
    private let logger: Logger
    let capacity: Int
    let batchSize: Int
    private let buffered: Counter
    private let flushed: Counter
    private let dropped: Counter

    init(database: any Database, secrets: InstallSecrets, metrics: PrometheusCollectorRegistry, logger: Logger, capacity: Int = 100_000, batchSize: Int = 1000) {
        self.database = database
        self.secrets = secrets
        self.logger = logger
        self.capacity = capacity
        self.batchSize = batchSize
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        buffered = metrics.makeCounter(descriptor: .init(namespace: "apus", subsystem: "links", metricName: "clicks_buffered", unitName: "total", helpText: "Clicks accepted into the buffer."))
        flushed = metrics.makeCounter(descriptor: .init(namespace: "apus", subsystem: "links", metricName: "clicks_flushed", unitName: "total", helpText: "Clicks written to the database."))
        dropped = metrics.makeCounter(descriptor: .init(namespace: "apus", subsystem: "links", metricName: "clicks_dropped", unitName: "total", helpText: "Clicks shed because the buffer was full."))
    }

    /// Adds a click; `false` (and counted) when the buffer is full.
    @discardableResult
    func record(_ click: Click) -> Bool {
        let (accepted, count) = pending.withLock { pending -> (Bool, Int) in
            guard pending.count < capacity else { return (false, pending.count) }
            pending.append(click)
            return (true, pending.count)
        }
        guard accepted else {
            dropped.increment()
            return false
        }
        buffered.increment()
        if count >= batchSize { wake.yield() }
        return true
    }

    /// Writes everything buffered now.
    func flush() async {
        let batch = pending.withLock { pending -> [Click] in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !batch.isEmpty else { return }
        var written = 0
        do {
            while written < batch.count {
                let chunk = Array(batch[written..<min(written + 500, batch.count)])
                try await insert(chunk)
                written += chunk.count
                flushed.increment(by: Int64(chunk.count))
            }
        } catch {
            // Put back what was not written (as far as there is room) so a database hiccup loses
            // nothing and counts nothing twice: the chunks before the failure are committed.
            let unwritten = batch[written...]
            logger.error("cannot write clicks; will retry", metadata: ["error": "\(error)", "clicks": "\(unwritten.count)"])
            pending.withLock { pending in
                let room = max(0, capacity - pending.count)
                pending.insert(contentsOf: unwritten.prefix(room), at: 0)
            }
        }
    }

    /// Classifies and hashes a batch; user agents and daily salts repeat, so each is worked out once.
    private func records(_ clicks: [Click]) async throws -> [ClickRecord] {
        let visitors = try await secrets.values().visitors
        var agents: [String: UserAgentClass] = [:]
        var salts: [String: SymmetricKey] = [:]
        var hashes: [String: String] = [:]
        return clicks.map { click in
            let agent = agents[click.userAgent ?? ""] ?? UserAgentClass(click.userAgent)
            agents[click.userAgent ?? ""] = agent
            let day = String(Timestamp.format(click.at).prefix(10))
            let salt = salts[day] ?? visitors.salt(for: click.at)
            salts[day] = salt
            return ClickRecord(
                code: click.code, at: click.at,
                referrerHost: click.referrer.flatMap { URLComponents(string: $0)?.host?.lowercased() },
                agent: agent, country: click.country,
                visitor: {
                    let key = "\(day)|\(click.address)|\(click.userAgent ?? "")"
                    if let known = hashes[key] { return known }
                    let hash = visitors.hash(address: click.address, userAgent: click.userAgent, salt: salt)
                    hashes[key] = hash
                    return hash
                }()
            )
        }
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

    private func insert(_ clicks: [Click]) async throws {
        var rollups: [Rollup: Int] = [:]
        for click in try await records(clicks) {
            let key = Rollup(
                code: click.code, minute: Int((click.at.timeIntervalSince1970 / 60).rounded(.down)), referrerHost: click.referrerHost,
                browser: click.agent.browser, os: click.agent.os, device: click.agent.device, isBot: click.agent.isBot,
                country: click.country, visitor: click.visitor
            )
            rollups[key, default: 0] += 1
        }
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
        try await database.withTransaction { connection in
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

    /// Flushes every second or when a batch fills, until shutdown; then flushes what is left.
    func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [wake] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        wake.yield()
                    }
                }
                for await _ in wakes {
                    await flush()
                }
                group.cancelAll()
            }
        } onGracefulShutdown: { [wake] in
            wake.finish()
        }
        await flush()
    }
}
