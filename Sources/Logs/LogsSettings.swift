import ApusCore
import Foundation

/// What the logs module reads from the node's settings: the limits a tenant's shippers meet.
struct LogsSettings: Sendable {
    /// The longest line stored, in bytes (`APUS_LOGS_MAX_LINE_BYTES`); a longer one is refused.
    var maxLineBytes = 256 << 10
    /// Labels a stream may have (`APUS_LOGS_MAX_LABELS`).
    var maxLabels = 15
    /// Streams a tenant may have (`APUS_LOGS_MAX_STREAMS`): a new one past it is refused, so a
    /// label with unbounded values cannot explode the index.
    var maxStreams = 10_000
    /// How old an entry may be when it arrives (`APUS_LOGS_REJECT_OLDER_THAN`, 7 days).
    var rejectOlderThan: Duration = .seconds(7 * 86_400)
    /// How far ahead of the clock it may be (`APUS_LOGS_REJECT_NEWER_THAN`, 10 minutes).
    var rejectNewerThan: Duration = .seconds(600)
    /// The largest push or bulk body, compressed or not (`APUS_LOGS_MAX_BODY_BYTES`, 16 MiB).
    var maxBodyBytes = 16 << 20
    /// Lines a query answers at most (`APUS_LOGS_MAX_QUERY_LINES`).
    var maxQueryLines = 5_000

    /// Document fields an Elasticsearch bulk request's lines are labelled by, besides their
    /// index (`APUS_LOGS_BULK_LABELS`; dotted paths reach into objects, `host.name` becomes the
    /// label `host_name`).
    var bulkLabels = ["service", "service.name", "host", "host.name", "level", "log.level", "program", "app"]

    /// Whether the node's own log lines are stored here too (`APUS_LOGS_SELF`, off).
    var ownLines = false

    /// How long lines are kept unless a rule says otherwise (`APUS_LOGS_RETENTION`, 30 days).
    var retention: Duration = .seconds(30 * 86_400)
    /// Streams kept for another time (`APUS_LOGS_RETENTION_RULES`: `{app="billing"}=400d;…`),
    /// the first rule whose selector picks a stream deciding.
    var retentionRules: [(selection: LogQL.Selection, keep: Duration)] = []
    /// The TCP port syslog senders ship to (`APUS_LOGS_SYSLOG_PORT`); no listener unless set.
    var syslogPort: Int?
    /// The address it listens on (`APUS_LOGS_SYSLOG_HOST`, 127.0.0.1). Syslog carries no
    /// credentials: whoever reaches the port writes to the syslog tenant.
    var syslogHost = "127.0.0.1"
    /// The tenant syslog lines are stored under (`APUS_LOGS_SYSLOG_TENANT`, `syslog`), which
    /// admins read with `X-Scope-OrgID`.
    var syslogTenant = "syslog"

    /// Whether retention first archives what it drops to the object store, as gzip NDJSON
    /// (`APUS_LOGS_RETENTION_EXPORT`, off).
    var retentionExport = false
    /// How often the retention sweep runs, in seconds (`APUS_LOGS_RETENTION_EVERY`).
    var retentionEvery = 3600.0
    /// How often streams' small chunks are merged, in seconds (`APUS_LOGS_COMPACT_EVERY`).
    var compactEvery = 60.0
    /// How often alert rules are evaluated, in seconds (`APUS_LOGS_ALERT_EVERY`).
    var alertEvery = 15.0

    init(_ settings: Settings) throws(ConfigurationError) {
        maxLineBytes = try settings.integer("APUS_LOGS_MAX_LINE_BYTES", in: 1...(16 << 20), default: maxLineBytes)
        maxLabels = try settings.integer("APUS_LOGS_MAX_LABELS", in: 1...100, default: maxLabels)
        maxStreams = try settings.integer("APUS_LOGS_MAX_STREAMS", in: 1...10_000_000, default: maxStreams)
        rejectOlderThan = try settings.duration("APUS_LOGS_REJECT_OLDER_THAN", default: rejectOlderThan)
        rejectNewerThan = try settings.duration("APUS_LOGS_REJECT_NEWER_THAN", default: rejectNewerThan)
        maxBodyBytes = try settings.integer("APUS_LOGS_MAX_BODY_BYTES", in: (1 << 20)...(1 << 30), default: maxBodyBytes)
        let labels = settings.list("APUS_LOGS_BULK_LABELS")
        if !labels.isEmpty {
            for field in labels where !LabelSet.isName(field.replacingOccurrences(of: ".", with: "_")) {
                throw .invalid("APUS_LOGS_BULK_LABELS", "'\(field)' cannot become a label name")
            }
            bulkLabels = labels
        }
        retention = try settings.parse("APUS_LOGS_RETENTION") { text throws(ConfigurationError) in
            guard let nanoseconds = LokiTime.step(text) else { throw .invalid("APUS_LOGS_RETENTION", "'\(text)' is not a duration such as 30d or seconds") }
            return Duration.nanoseconds(nanoseconds)
        } ?? retention
        ownLines = try settings.flag("APUS_LOGS_SELF", default: false)
        retentionEvery = try settings.seconds("APUS_LOGS_RETENTION_EVERY", default: retentionEvery)
        compactEvery = try settings.seconds("APUS_LOGS_COMPACT_EVERY", default: compactEvery)
        alertEvery = try settings.seconds("APUS_LOGS_ALERT_EVERY", default: alertEvery)
        retentionExport = try settings.flag("APUS_LOGS_RETENTION_EXPORT", default: false)
        retentionRules = try settings.parse("APUS_LOGS_RETENTION_RULES") { text throws(ConfigurationError) in
            try text.split(separator: ";").map { rule throws(ConfigurationError) in
                guard let equals = rule.lastIndex(of: "="), case .logs(let selection)? = try? LogQLParser.parse(String(rule[..<equals])), selection.filters.isEmpty, selection.stages.isEmpty,
                      let nanoseconds = LokiTime.step(String(rule[rule.index(after: equals)...]).trimmingCharacters(in: .whitespaces)) else {
                    throw .invalid("APUS_LOGS_RETENTION_RULES", "'\(rule)' is not <stream selector>=<duration>, such as {app=\"billing\"}=400d")
                }
                return (selection, Duration.nanoseconds(nanoseconds))
            }
        } ?? []
        maxQueryLines = try settings.integer("APUS_LOGS_MAX_QUERY_LINES", in: 1...1_000_000, default: maxQueryLines)
        syslogPort = try settings.parse("APUS_LOGS_SYSLOG_PORT") { text throws(ConfigurationError) in
            guard let port = Int(text), (0...65_535).contains(port) else { throw .invalid("APUS_LOGS_SYSLOG_PORT", "'\(text)' is not a port (0 to 65535)") }
            return port
        }
        syslogHost = settings.string("APUS_LOGS_SYSLOG_HOST") ?? syslogHost
        syslogTenant = try settings.parse("APUS_LOGS_SYSLOG_TENANT") { text throws(ConfigurationError) in
            guard (1...150).contains(text.utf8.count), text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x2F }) else {
                throw .invalid("APUS_LOGS_SYSLOG_TENANT", "'\(text)' is not 1 to 150 printable characters without / or spaces")
            }
            return text
        } ?? syslogTenant
    }
}
