#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Nanoseconds on the monotonic clock: senders stamp messages with it and receivers in the same
/// process subtract it, so latency is measured on one clock.
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// A process's CPU time and resident memory, read from `/proc` (Linux).
struct ProcessProbe: Sendable {
    /// `nil` reads this process.
    let pid: Int32?

    private var folder: String { pid.map { "/proc/\($0)" } ?? "/proc/self" }

    /// User plus system CPU seconds so far.
    func cpuSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: folder + "/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command's closing parenthesis start at field 3; utime and stime are 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory in bytes.
    func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: folder + "/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }
}
