import Synchronization

/// A W3C Trace Context `traceparent`: `00-<trace id>-<parent id>-<flags>`.
public struct TraceParent: Sendable, Equatable, CustomStringConvertible {
    /// 32 lowercase hex digits, not all zero.
    public let traceID: String
    /// The parent (span) id as a number: every request has one, few ever send it on, so it is
    /// written out only when asked for.
    private let parent: UInt64
    /// Two hex digits; bit 0 is "sampled".
    public let flags: String

    /// 16 lowercase hex digits, not all zero.
    public var parentID: String { Self.hex(parent) }

    /// Parses a header value; `nil` when it does not follow the format.
    public init?(header: String) {
        let parts = header.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[0] != "ff",
              Self.isHex(parts[0], count: 2), Self.isHex(parts[1], count: 32), Self.isHex(parts[2], count: 16),
              Self.isHex(parts[3], count: 2),
              parts[1] != String(repeating: "0", count: 32),
              let parent = UInt64(parts[2], radix: 16), parent != 0
        else { return nil }
        // Version 00 has exactly four fields; later versions may append more.
        if parts[0] == "00", parts.count != 4 { return nil }
        self.traceID = String(parts[1])
        self.parent = parent
        self.flags = String(parts[3])
    }

    /// Starts a new trace.
    public init() {
        self.init(startingWith: Self.randomHex(bytes: 16))
    }

    /// A new trace whose id is `traceID` (32 lowercase hex digits, from `randomHex(bytes: 16)`).
    init(startingWith traceID: String) {
        self.traceID = traceID
        self.parent = Self.nextRandom()
        self.flags = "01"
    }

    private init(traceID: String, parent: UInt64, flags: String) {
        self.traceID = traceID
        self.parent = parent
        self.flags = flags
    }

    /// The context to send on an outgoing call made while handling this one: same trace, new span.
    public func child() -> TraceParent {
        TraceParent(traceID: traceID, parent: Self.nextRandom(), flags: flags)
    }

    public var description: String { "00-\(traceID)-\(parentID)-\(flags)" }

    private static func isHex(_ text: Substring, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// `bytes` (a multiple of 8) of unique, random-looking hex for request, trace and span ids.
    /// The digits are written straight into the string's storage: this runs on every request.
    /// Not for secrets.
    static func randomHex(bytes: Int) -> String {
        let words = (bytes + 7) / 8
        let digits = hexDigits.utf8Start
        return String(unsafeUninitializedCapacity: words * 16) { buffer in
            for word in 0..<words {
                let value = nextRandom()
                for digit in 0..<16 {
                    buffer[word * 16 + digit] = digits[Int((value >> UInt64(60 - 4 * digit)) & 0xF)]
                }
            }
            return words * 16
        }
    }

    /// `value` as 16 lowercase hex digits.
    private static func hex(_ value: UInt64) -> String {
        let digits = hexDigits.utf8Start
        return String(unsafeUninitializedCapacity: 16) { buffer in
            for digit in 0..<16 {
                buffer[digit] = digits[Int((value >> UInt64(60 - 4 * digit)) & 0xF)]
            }
            return 16
        }
    }

    /// A unique, random-looking, non-zero number: a counter passed through SplitMix64's
    /// finaliser (a bijection, so no two draws in a process collide) after adding a per-process
    /// random offset. No system call per request, which the system generator costs.
    private static func nextRandom() -> UInt64 {
        while true {
            var z = idCounter.wrappingAdd(1, ordering: .relaxed).newValue &+ idOffset
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            if z != 0 { return z }
        }
    }

    private static let hexDigits: StaticString = "0123456789abcdef"
    private static let idCounter = Atomic<UInt64>(0)
    private static let idOffset = UInt64.random(in: .min ... .max)
}
