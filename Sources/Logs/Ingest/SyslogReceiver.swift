import ApusCore
import Foundation
import Logging
import Prometheus

/// Syslog over TCP (`APUS_LOGS_SYSLOG_PORT`): RFC 5424 and RFC 3164 messages, octet-counted or
/// one a line, stored under one tenant (`APUS_LOGS_SYSLOG_TENANT`, `syslog`). Each message is a
/// line of the stream `{job="syslog", host, app, facility, level}`; its process and message ids
/// and structured data are metadata (`pid`, `msgid`, `sd_<id>_<name>`).
///
/// Syslog has no answers: what a read from the connection holds is stored before the next read,
/// so a sender that outruns the store is slowed by TCP itself, and a message that cannot be
/// stored (too long, too old or new, a stream past the limit) is counted and logged, not answered.
struct SyslogReceiver: Sendable {
    let service: LogsService
    let tenant: String
    let logger: Logger
    private let stored: Counter
    private let refused: Counter

    init(service: LogsService, tenant: String, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.service = service
        self.tenant = tenant
        self.logger = logger
        func messages(_ outcome: String) -> Counter {
            registry.makeCounter(
                descriptor: .init(namespace: "apus", subsystem: "logs", metricName: "syslog_messages", unitName: "total", helpText: "Syslog messages received over TCP, stored or refused."),
                labels: [("outcome", outcome)]
            )
        }
        stored = messages("stored")
        refused = messages("refused")
    }

    /// The listener on `host:port`.
    func listener(host: String, port: Int) -> TCPListener {
        TCPListener(name: "syslog", host: host, port: port, logger: logger) { connection in
            try await receive(connection)
        }
    }

    func receive(_ connection: TCPListener.Connection) async throws {
        // Room for the longest line stored plus a header.
        var framer = SyslogFramer(maxFrameBytes: service.settings.maxLineBytes + 2_048)
        for try await buffer in connection.inbound {
            framer.append(buffer.readableBytesView)
            var frames: [SyslogFramer.Frame] = []
            while let frame = framer.next() { frames.append(frame) }
            try await store(frames, from: connection.peer)
        }
        if let last = framer.finish() { try await store([last], from: connection.peer) }
    }

    private func store(_ frames: [SyslogFramer.Frame], from peer: String) async throws {
        guard !frames.isEmpty else { return }
        let receivedAt = service.nowNanoseconds
        let offset = TimeZone.current.secondsFromGMT()
        var messages: [SyslogMessage] = []
        var refusals: [String] = []
        for frame in frames {
            switch frame {
            case .message(let bytes): messages.append(SyslogMessage(parsing: bytes, receivedAt: receivedAt, localOffset: offset))
            case .tooLong(let count): refusals.append("a message of \(count) bytes is longer than \(service.settings.maxLineBytes)")
            }
        }
        let batch = Self.streams(messages, limits: service.pushLimits)
        refusals += batch.refusals
        // One refusal a message, but a stream past the limit, which loses all its messages.
        var lost = refusals.count
        if !batch.streams.isEmpty {
            let outcome = try await service.store(batch.streams, tenant: tenant)
            stored.increment(by: Int64(outcome.stored))
            for (labels, entries) in batch.streams where outcome.refusedStreams.contains(labels) {
                refusals.append("stream \(labels) refused: the tenant has reached its limit of \(service.settings.maxStreams) streams")
                lost += entries.count
            }
        }
        refused.increment(by: Int64(lost))
        if !refusals.isEmpty {
            logger.warning("syslog messages refused", metadata: ["peer": "\(peer)", "count": "\(refusals.count)", "first": "\(refusals[0])"])
        }
    }

    /// Messages grouped into streams, each held to the limits a push meets.
    static func streams(_ messages: [SyslogMessage], limits: LokiPush.Limits) -> (streams: [(labels: LabelSet, entries: [LogEntry])], refusals: [String]) {
        var grouped: [LabelSet: [LogEntry]] = [:]
        var order: [LabelSet] = []
        var refusals: [String] = []
        for message in messages {
            var pairs = [("job", "syslog"), ("facility", SyslogMessage.facilities[message.facility]), ("level", SyslogMessage.severities[message.severity])]
            if let host = message.hostname { pairs.append(("host", host)) }
            if let app = message.appName { pairs.append(("app", app)) }
            if let refusal = limits.refusal(timestamp: message.timestamp, line: message.text) {
                refusals.append(refusal)
                continue
            }
            let labels: LabelSet
            do { labels = try LabelSet(pairs, maxLabels: limits.maxLabels) } catch {
                refusals.append(LokiPush.describe(error))
                continue
            }
            var metadata: [String: String] = [:]
            if let pid = message.procID { metadata["pid"] = pid }
            if let msgID = message.msgID { metadata["msgid"] = msgID }
            for element in message.structuredData {
                for parameter in element.parameters {
                    metadata[LabelSet.sanitizedName("sd_\(element.id)_\(parameter.name)")] = parameter.value
                }
            }
            if grouped[labels] == nil { order.append(labels) }
            grouped[labels, default: []].append(LogEntry(timestamp: message.timestamp, line: message.text, metadata: metadata))
        }
        return (order.map { ($0, grouped[$0]!) }, refusals)
    }
}
