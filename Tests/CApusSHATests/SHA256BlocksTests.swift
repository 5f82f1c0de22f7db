import CApusSHA
import Foundation
import Testing

/// The C compression function alone, against FIPS 180-4's one-block example ("abc").
@Suite struct SHA256BlocksTests {
    /// H0...H7 before any block.
    static let initial: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]

    /// Whether the kernel lists the SHA extensions and the SSE4.1 they are used with.
    static var cpuHasSHA: Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        let flags = Set(info.split(whereSeparator: \.isWhitespace))
        return flags.contains("sha_ni") && flags.contains("sse4_1") && flags.contains("ssse3")
    }

    @Test func cpuidAgreesWithTheKernelsFlags() {
        #expect((apus_sha256_hardware_available() != 0) == Self.cpuHasSHA)
    }

    @Test(.enabled(if: apus_sha256_hardware_available() != 0, "the CPU has no SHA instructions"))
    func oneBlockGivesTheStandardsDigest() {
        // "abc", padded to one block: 0x80, zeros, the length in bits (24) at the end.
        var block = [UInt8](repeating: 0, count: 64)
        block[0...2] = [0x61, 0x62, 0x63]
        block[3] = 0x80
        block[63] = 24
        var state = Self.initial
        state.withUnsafeMutableBufferPointer { words in
            block.withUnsafeBufferPointer { apus_sha256_blocks(words.baseAddress!, $0.baseAddress!, 1) }
        }
        #expect(state == [0xba78_16bf, 0x8f01_cfea, 0x4141_40de, 0x5dae_2223, 0xb003_61a3, 0x9617_7a9c, 0xb410_ff61, 0xf200_15ad])
    }

    @Test(.enabled(if: apus_sha256_hardware_available() != 0, "the CPU has no SHA instructions"))
    func zeroBlocksLeaveTheStateAlone() {
        var state = Self.initial
        state.withUnsafeMutableBufferPointer { words in
            [UInt8]().withUnsafeBufferPointer { apus_sha256_blocks(words.baseAddress!, $0.baseAddress, 0) }
        }
        #expect(state == Self.initial)
    }
}
