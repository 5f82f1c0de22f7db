import ApusCore

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

    init(_ settings: Settings) throws(ConfigurationError) {
        maxLineBytes = try settings.integer("APUS_LOGS_MAX_LINE_BYTES", in: 1...(16 << 20), default: maxLineBytes)
        maxLabels = try settings.integer("APUS_LOGS_MAX_LABELS", in: 1...100, default: maxLabels)
        maxStreams = try settings.integer("APUS_LOGS_MAX_STREAMS", in: 1...10_000_000, default: maxStreams)
        rejectOlderThan = try settings.duration("APUS_LOGS_REJECT_OLDER_THAN", default: rejectOlderThan)
        rejectNewerThan = try settings.duration("APUS_LOGS_REJECT_NEWER_THAN", default: rejectNewerThan)
        maxBodyBytes = try settings.integer("APUS_LOGS_MAX_BODY_BYTES", in: (1 << 20)...(1 << 30), default: maxBodyBytes)
        maxQueryLines = try settings.integer("APUS_LOGS_MAX_QUERY_LINES", in: 1...1_000_000, default: maxQueryLines)
    }
}
