import Synchronization

/// A W3C Trace Context `traceparent`: `00-<trace id>-<parent id>-<flags>`.
public struct TraceParent: Sendable, Equatable, CustomStringConvertible {
    /// 32 lowercase hex digits, not all zero.
    public let traceID: String
    /// 16 lowercase hex digits, not all zero.
    public let parentID: String
    /// Two hex digits; bit 0 is "sampled".
    public let flags: String

    /// Parses a header value; `nil` when it does not follow the format.
    public init?(header: String) {
        let parts = header.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[0] != "ff",
              Self.isHex(parts[0], count: 2), Self.isHex(parts[1], count: 32), Self.isHex(parts[2], count: 16),
              Self.isHex(parts[3], count: 2),
              parts[1] != String(repeating: "0", count: 32), parts[2] != String(repeating: "0", count: 16)
        else { return nil }
        // Version 00 has exactly four fields; later versions may append more.
        if parts[0] == "00", parts.count != 4 { return nil }
        self.traceID = String(parts[1])
        self.parentID = String(parts[2])
        self.flags = String(parts[3])
    }

    /// Starts a new trace.
    public init() {
        self.traceID = Self.randomHex(bytes: 16)
        self.parentID = Self.randomHex(bytes: 8)
        self.flags = "01"
    }

    private init(traceID: String, parentID: String, flags: String) {
        self.traceID = traceID
        self.parentID = parentID
        self.flags = flags
    }

    /// The context to send on an outgoing call made while handling this one: same trace, new span.
    public func child() -> TraceParent {
        TraceParent(traceID: traceID, parentID: Self.randomHex(bytes: 8), flags: flags)
    }

    public var description: String { "00-\(traceID)-\(parentID)-\(flags)" }

    private static func isHex(_ text: Substring, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// `bytes` (a multiple of 8) of unique, random-looking hex for request, trace and span ids.
    ///
    /// Each 8 bytes are a counter passed through SplitMix64's finaliser (a bijection, so no two
    /// draws in a process collide) after adding a per-process random offset: no system call per
    /// request, which the system generator costs. Not for secrets.
    static func randomHex(bytes: Int) -> String {
        var text = ""
        text.reserveCapacity(bytes * 2)
        for _ in 0..<(bytes + 7) / 8 {
            var z = idCounter.wrappingAdd(1, ordering: .relaxed).newValue &+ idOffset
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let word = String(z, radix: 16)
            text += String(repeating: "0", count: 16 - word.count) + word
        }
        return text
    }

    private static let idCounter = Atomic<UInt64>(0)
    private static let idOffset = UInt64.random(in: .min ... .max)
}
