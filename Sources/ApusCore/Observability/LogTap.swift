public import Foundation
public import Logging
import Synchronization

/// One of the node's own log lines, as a log store keeps it.
public struct LogRecord: Sendable {
    public var time: Date
    public var level: Logger.Level
    public var message: String
    /// The logger's label (`apus`, a library's).
    public var label: String
    /// Its metadata, flattened to strings: `module`, `node`, `request_id`, `trace_id`, ….
    public var metadata: [String: String]
}

/// The node's own log lines, offered to one receiver besides standard error: the logs module
/// stores them when `APUS_LOGS_SELF` is on, so a request can be followed through every line it
/// caused. One tap per process. What is logged while the receiver writes (inside ``muted(_:)``)
/// is not offered again, so storing a line never logs its way into another.
public enum LogTap {
    private static let receiver = Mutex<(@Sendable (LogRecord) -> Void)?>(nil)
    @TaskLocal private static var isMuted = false

    /// Sends every line logged from now on to `receive` (replacing any earlier receiver). It is
    /// called on the logging thread: keep it short (put the record in a buffer).
    public static func install(_ receive: @escaping @Sendable (LogRecord) -> Void) {
        receiver.withLock { $0 = receive }
    }

    /// Stops offering lines.
    public static func remove() {
        receiver.withLock { $0 = nil }
    }

    /// Runs `body` with its own log lines kept from the tap (they still go to standard error).
    public static func muted<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        try await $isMuted.withValue(true) { try await body() }
    }

    /// Offers a line that a handler has written; the request's ids are added as the line has them.
    static func offer(level: Logger.Level, message: Logger.Message, label: String, metadata: Logger.Metadata) {
        guard !isMuted, let receive = receiver.withLock({ $0 }) else { return }
        var fields = metadata
        RequestLogScope.add(to: &fields)
        receive(LogRecord(time: Date(), level: level, message: message.description, label: label, metadata: fields.mapValues(\.description)))
    }
}

/// A handler that offers each line to the ``LogTap`` after its inner handler wrote it.
struct TappedLogHandler<Inner: LogHandler>: LogHandler {
    var inner: Inner
    let label: String

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        inner.log(event: event)
        var fields = inner.metadata
        if let provided = inner.metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        LogTap.offer(level: event.level, message: event.message, label: label, metadata: fields)
    }
}
