/// One log line as stored: its time in nanoseconds since the epoch, the line, and structured
/// metadata (trace and request ids, which are never labels).
struct LogEntry: Sendable, Equatable {
    var timestamp: Int64
    var line: String
    var metadata: [String: String] = [:]
}
