/// A bitmap of the four-byte substrings (4-grams) of some text, hashed one bit each: a sketch
/// of a block of log lines that says when a line filter cannot match anything in the block, so
/// the block is neither read nor decompressed. No false negatives: every 4-gram of a substring
/// of the text is in the text, so its bit is set. A false positive costs only the read.
///
/// Why 4-grams and one bit each: a block of 1,000 log lines holds nearly every hex 3-gram
/// (4,096 of them), so 3-grams cannot tell one trace id from another; of the 65,536 hex 4-grams
/// a block holds about a third, so each 4-gram of a term halves (or better) the chance that a
/// block without the term passes, and a 12-character id passes by chance about once in ten
/// thousand blocks. Sized at about a bit per three bytes of text, about a third of the bits are
/// set in such a block, and the bitmap costs about a sixth of the block's compressed size.
/// Whole-word tokens (VictoriaLogs' per-block bloom filters) would be smaller, but cannot answer
/// a substring filter (LogQL's `|=`) without false negatives.
public struct SubstringFilter: Sendable, Equatable {
    /// The bits, a power of two of them.
    public private(set) var words: [UInt64]

    /// The fewest and most bits a filter has (128 bytes to 8 KiB).
    public static let minimumBits = 1 << 10
    public static let maximumBits = 1 << 16

    /// An empty filter sized for about `textBytes` bytes of text.
    public init(sizedFor textBytes: Int) {
        var bits = Self.minimumBits
        while bits < Self.maximumBits, bits < textBytes / 3 { bits <<= 1 }
        words = Array(repeating: 0, count: bits / 64)
    }

    /// A filter read back from ``bytes``, or `nil` when they are not one.
    public init?(bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        guard count >= Self.minimumBits / 8, count <= Self.maximumBits / 8, count & (count - 1) == 0 else { return nil }
        var words = [UInt64](repeating: 0, count: count / 8)
        words.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
        #if _endian(big)
        words = words.map { UInt64(littleEndian: $0) }
        #endif
        self.words = words
    }

    /// A filter read back from ``bytes``, or `nil` when they are not one.
    public init?(bytes: [UInt8]) {
        guard let filter = bytes.withUnsafeBytes({ Self(bytes: $0) }) else { return nil }
        self = filter
    }

    /// The filter as little-endian bytes.
    public var bytes: [UInt8] {
        let little = words.map(\.littleEndian)
        return little.withUnsafeBytes { Array($0) }
    }

    /// The share of bits set (about a third is what the sizing aims at).
    public var fill: Double {
        Double(words.reduce(0) { $0 + $1.nonzeroBitCount }) / Double(words.count * 64)
    }

    /// Adds every 4-gram of `line` (grams never span two inserts).
    public mutating func insert(_ line: String) {
        var line = line
        line.withUTF8 { insert(bytes: $0) }
    }

    /// Adds every 4-gram of `bytes`.
    public mutating func insert(bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count >= 4 else { return }
        let mask = UInt32(words.count * 64 - 1)
        words.withUnsafeMutableBufferPointer { words in
            var window = UInt32(bytes[0]) << 16 | UInt32(bytes[1]) << 8 | UInt32(bytes[2])
            for byte in bytes[3...] {
                window = window << 8 | UInt32(byte)
                let bit = Self.hash(window) & mask
                words[Int(bit >> 6)] |= 1 << UInt64(bit & 63)
            }
        }
    }

    /// Whether a line holding `term` may have been inserted: `false` only when none was. A term
    /// shorter than four bytes has no 4-gram, and may always be there.
    public func mayContain(_ term: [UInt8]) -> Bool {
        guard term.count >= 4 else { return true }
        let mask = UInt32(words.count * 64 - 1)
        var window = UInt32(term[0]) << 16 | UInt32(term[1]) << 8 | UInt32(term[2])
        for byte in term[3...] {
            window = window << 8 | UInt32(byte)
            let bit = Self.hash(window) & mask
            if words[Int(bit >> 6)] & (1 << UInt64(bit & 63)) == 0 { return false }
        }
        return true
    }

    /// Fibonacci hashing: the top 16 bits of a multiplication by 2^64 / φ, which spreads grams
    /// that differ in one byte across the whole bitmap.
    @inline(__always)
    static func hash(_ gram: UInt32) -> UInt32 {
        UInt32(truncatingIfNeeded: (UInt64(gram) &* 0x9E37_79B9_7F4A_7C15) >> 48)
    }
}
