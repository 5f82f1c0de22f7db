import ApusCore
import ApusKit
import Foundation

/// Times and steps as Loki's HTTP API takes them.
enum LokiTime {
    /// A time: nanoseconds since the epoch (ten digits or fewer are seconds), float seconds, or
    /// RFC 3339. `nil` when it is none of these.
    static func parse(_ text: String) -> Int64? {
        if let integer = Int64(text) {
            return text.count <= 10 ? integer.multipliedReportingOverflow(by: 1_000_000_000).overflow ? nil : integer * 1_000_000_000 : integer
        }
        if let seconds = Double(text), seconds.isFinite, abs(seconds) < 9e9 { return Int64(seconds * 1_000_000_000) }
        return RFC3339.nanoseconds(text)
    }

    /// A step: a duration (`15s`, `1m`) or seconds as a number; in nanoseconds.
    static func step(_ text: String) -> Int64? {
        if let seconds = Double(text), seconds.isFinite, seconds > 0, seconds < 1e9 { return Int64(seconds * 1_000_000_000) }
        guard case .metric(let metric)? = try? LogQLParser.parse("count_over_time({a=\"b\"}[\(text)])") else { return nil }
        return metric.range
    }

    /// Seconds as Loki writes a matrix point's time.
    static func seconds(_ nanoseconds: Int64) -> JSONValue {
        nanoseconds % 1_000_000_000 == 0 ? .number(Double(nanoseconds / 1_000_000_000)) : .number(Double(nanoseconds) / 1_000_000_000)
    }
}
