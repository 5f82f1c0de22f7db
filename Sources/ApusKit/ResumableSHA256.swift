internal import CApusSHA

/// SHA-256 (FIPS 180-4) whose running state can be saved and restored, so a digest can be
/// computed across requests and restarts: a resumable upload hashes each chunk as it arrives
/// and keeps the state between chunks in its database row. Library hashers cannot export their
/// state, hence this one. Whole blocks go through the CPU's SHA instructions where it has them
/// (``SHA256Engine``); the state, and so what is saved, is the same either way.
public struct ResumableSHA256: Sendable, Equatable {
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)
    /// Bytes hashed so far.
    public private(set) var byteCount: UInt64 = 0
    /// The bytes of an incomplete block, waiting for the rest.
    private var pending: [UInt8] = []
    /// What compresses whole blocks; not part of the state.
    package var engine = SHA256Engine.preferred

    public init() {}

    public static func == (lhs: ResumableSHA256, rhs: ResumableSHA256) -> Bool {
        lhs.saved == rhs.saved
    }

    /// Hashes the contiguous `bytes`, whole blocks straight from the buffer.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        byteCount &+= UInt64(bytes.count)
        var index = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending.append(contentsOf: bytes[0..<take])
            index = take
            if pending.count < 64 { return }
            let block = pending
            block.withUnsafeBytes { compress($0, blocks: 1) }
            pending.removeAll(keepingCapacity: true)
        }
        let blocks = (bytes.count - index) / 64
        if blocks > 0 {
            compress(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + blocks * 64)]), blocks: blocks)
            index += blocks * 64
        }
        if index < bytes.count { pending.append(contentsOf: bytes[index...]) }
    }

    /// Hashes `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of everything hashed; the state itself is left as it is.
    public func finalize() -> [UInt8] {
        var copy = self
        let bitLength = byteCount &* 8
        var tail: [UInt8] = [0x80]
        let used = (pending.count + 1) % 64
        tail += [UInt8](repeating: 0, count: (used <= 56 ? 56 - used : 120 - used))
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        let count = copy.byteCount
        copy.update(tail)
        copy.byteCount = count
        let words = copy.words
        return words.flatMap { word in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> UInt32($0)) } }
    }

    /// The digest in lower-case hexadecimal.
    public func hexDigest() -> String {
        finalize().hexEncoded
    }

    // MARK: Saving and restoring

    /// The state as bytes: eight words, the byte count, then the pending bytes (at most 63).
    public var saved: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(40 + pending.count)
        for word in words { bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> UInt32($0)) } }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: byteCount >> UInt64(shift))) }
        return bytes + pending
    }

    /// The hasher `saved` describes; `nil` if the bytes are not a state this type saved.
    public init?(saved bytes: [UInt8]) {
        guard bytes.count >= 40, bytes.count < 40 + 64 else { return nil }
        var words: [UInt32] = []
        for index in 0..<8 {
            words.append(bytes[(index * 4)..<(index * 4 + 4)].reduce(0) { $0 << 8 | UInt32($1) })
        }
        let count = bytes[32..<40].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let pending = Array(bytes[40...])
        guard count % 64 == UInt64(pending.count) else { return nil }
        self.state = (words[0], words[1], words[2], words[3], words[4], words[5], words[6], words[7])
        self.byteCount = count
        self.pending = pending
    }

    // MARK: The compression function

    private var words: [UInt32] {
        [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
    }

    /// Compresses `blocks` whole blocks at the start of `bytes`.
    private mutating func compress(_ bytes: UnsafeRawBufferPointer, blocks: Int) {
        switch engine {
        case .hardware:
            guard let base = bytes.baseAddress else { return }
            withUnsafeMutableBytes(of: &state) { words in
                apus_sha256_blocks(words.baseAddress!.assumingMemoryBound(to: UInt32.self), base.assumingMemoryBound(to: UInt8.self), blocks)
            }
        case .scalar:
            for block in 0..<blocks {
                compress(UnsafeRawBufferPointer(rebasing: bytes[(block * 64)..<(block * 64 + 64)]))
            }
        }
    }

    private mutating func compress(_ block: UnsafeRawBufferPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for index in 0..<16 {
                let base = index * 4
                w[index] = UInt32(block[base]) << 24 | UInt32(block[base + 1]) << 16 | UInt32(block[base + 2]) << 8 | UInt32(block[base + 3])
            }
            for index in 16..<64 {
                let s0 = rotate(w[index - 15], 7) ^ rotate(w[index - 15], 18) ^ (w[index - 15] >> 3)
                let s1 = rotate(w[index - 2], 17) ^ rotate(w[index - 2], 19) ^ (w[index - 2] >> 10)
                w[index] = w[index - 16] &+ s0 &+ w[index - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, h) = state
            Self.constants.withUnsafeBufferPointer { k in
                for index in 0..<64 {
                    let s1 = rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)
                    let choice = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ choice &+ k[index] &+ w[index]
                    let s0 = rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)
                    let majority = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ majority
                    h = g
                    g = f
                    f = e
                    e = d &+ t1
                    d = c
                    c = b
                    b = a
                    a = t1 &+ t2
                }
            }
            state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e, state.5 &+ f, state.6 &+ g, state.7 &+ h)
        }
    }

    private static let constants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}

@inline(__always)
private func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 {
    (value >> count) | (value << (32 - count))
}
