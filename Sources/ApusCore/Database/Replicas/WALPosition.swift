/// A position in PostgreSQL's write-ahead log (an LSN), as `pg_current_wal_insert_lsn()` and
/// `pg_last_wal_replay_lsn()` print it: two hexadecimal halves, `16/B374D848`.
///
/// It is what read-your-writes compares: a replica that has replayed up to a commit's position
/// shows everything that commit wrote.
public struct WALPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 64-bit byte position.
    public let value: UInt64

    public init(_ value: UInt64) { self.value = value }

    /// Parses `X/Y` (each half 1 to 8 hexadecimal digits); `nil` for anything else.
    public init?(_ text: String) {
        let halves = text.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, let high = Self.half(halves[0]), let low = Self.half(halves[1]) else { return nil }
        self.value = UInt64(high) << 32 | UInt64(low)
    }

    private static func half(_ text: Substring) -> UInt32? {
        guard (1...8).contains(text.utf8.count), text.utf8.allSatisfy({ $0.isHexDigit }) else { return nil }
        return UInt32(text, radix: 16)
    }

    /// PostgreSQL's spelling, upper-case hexadecimal.
    public var description: String {
        String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}
