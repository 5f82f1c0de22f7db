import Foundation
import Logging
import PostgresKit
import PostgresNIO
import SQLKit

/// Checks every replica each `checkInterval`: is it a standby, how far has it replayed, how far
/// behind is that. A replica that does not answer, is no longer a standby (it was promoted), or
/// lags past `maxLag` is out until a check finds it well again.
///
/// Each replica is checked on a connection of its own, outside the read pool: a stopped server
/// refuses it at once, and is out within one interval.
struct ReplicaMonitor: Sendable {
    let replicas: ReadReplicas
    let now: @Sendable () -> Date

    func run() async {
        let settings = replicas.settings
        var lag = ReplicationLag(horizon: max(60, settings.maxLag * 4))
        let connections = CheckConnections()
        while !Task.isCancelled {
            do {
                let position = try await replicas.primaryPosition()
                lag.primary(at: position, time: now())
            } catch {
                if Task.isCancelled { break }
                replicas.logger.debug("cannot read the primary's WAL position", metadata: ["error": "\(error)"])
            }
            // Side by side: a replica slow to answer does not hold up the others' checks.
            let noted = lag
            await withTaskGroup(of: Void.self) { group in
                for replica in replicas.replicas {
                    group.addTask { await check(replica, lag: noted, settings: settings, connections: connections) }
                }
            }
            try? await Task.sleep(for: .seconds(settings.checkInterval))
        }
        await connections.closeAll()
    }

    private func check(_ replica: ReadReplica, lag: ReplicationLag, settings: ReplicaSettings, connections: CheckConnections) async {
        let logger = replicas.logger
        do {
            let (standby, replayed) = try await ReadReplicas.within(settings.readTimeout) { _ in
                let connection = try await connections.connection(for: replica, timeout: settings.readTimeout)
                do {
                    // A server that stops answering without refusing would hold the query (and
                    // every later check) until TCP gives up: past the deadline, the connection
                    // is closed under it.
                    let row = try await withTaskCancellationHandler {
                        try await connection.sql().raw("SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed").first()
                    } onCancel: {
                        connection.close().whenComplete { _ in }
                    }
                    return (try row?.decode(column: "standby", as: Bool.self) ?? false, try row?.decode(column: "replayed", as: String?.self))
                } catch {
                    await connections.drop(replica)
                    throw error
                }
            }
            guard standby, let replayed, let position = WALPosition(replayed) else {
                if replica.record(usable: false, replayed: nil, lagSeconds: nil) {
                    logger.warning("read replica taken out: it is not a standby", metadata: ["replica": "\(replica.name)"])
                }
                return
            }
            // Behind the first position this node noted, its age is unknown: it stays out
            // until it has replayed that far (a node starting beside a replica hours behind).
            let seconds = lag.seconds(behind: position, at: now())
            let usable = seconds.map { $0 <= settings.maxLag } ?? false
            if replica.record(usable: usable, replayed: position, lagSeconds: seconds) {
                if usable {
                    logger.notice("read replica in", metadata: ["replica": "\(replica.name)", "lag_seconds": "\(seconds ?? 0)"])
                } else {
                    logger.warning("read replica taken out: it lags", metadata: ["replica": "\(replica.name)", "lag_seconds": "\(seconds.map { "\($0)" } ?? "unknown")"])
                }
            }
        } catch {
            if Task.isCancelled { return }
            if replica.record(usable: false, replayed: nil, lagSeconds: nil) {
                logger.warning("read replica taken out: it does not answer", metadata: ["replica": "\(replica.name)", "error": "\(String(describing: error).prefix(200))"])
            }
        }
    }
}

/// The monitor's connection to each replica, made on first use and again after a failure.
private actor CheckConnections {
    private var open: [ObjectIdentifier: PostgresConnection] = [:]

    func connection(for replica: ReadReplica, timeout: Double) async throws -> PostgresConnection {
        if let connection = open[ObjectIdentifier(replica)], !connection.isClosed { return connection }
        let connection = try await replica.backend.connection(timeout: .milliseconds(Int64(timeout * 1000)))
        open[ObjectIdentifier(replica)] = connection
        return connection
    }

    func drop(_ replica: ReadReplica) async {
        try? await open.removeValue(forKey: ObjectIdentifier(replica))?.close()
    }

    func closeAll() async {
        for connection in open.values { try? await connection.close() }
        open = [:]
    }
}

extension ReadReplicas {
    /// Where the primary's WAL ends now: after a commit, a replica that has replayed this far
    /// shows it.
    public func primaryPosition() async throws -> WALPosition {
        let text = try await primary.read { sql in
            try await sql.raw("SELECT pg_current_wal_insert_lsn()::text AS position").first()?.decode(column: "position", as: String.self)
        }
        guard let text, let position = WALPosition(text) else { throw ReplicaReadFailure(description: "the primary gave no WAL position") }
        return position
    }
}
