import ApusKit
import Testing

/// Snappy blocks as the reference compressor writes them (made with python-snappy's sibling,
/// cramjam), hand-built ones for what it rarely writes, and hostile ones.
@Suite struct SnappyTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    @Test func blocksOfTheReferenceCompressorDecompress() throws {
        #expect(try Snappy.decompress(Self.bytes("00"), limit: 10).isEmpty)
        #expect(try Snappy.decompress(Self.bytes("010061"), limit: 10) == Array("a".utf8))
        let sentence = "Wikipedia is a free, web-based, collaborative, multilingual encyclopedia project."
        let literal = "51f05057696b697065646961206973206120667265652c207765622d62617365642c20636f6c6c61626f7261746976652c206d756c74696c696e6775616c20656e6379636c6f70656469612070726f6a6563742e"
        #expect(try Snappy.decompress(Self.bytes(literal), limit: 100) == Array(sentence.utf8))
        // Runs: copies that overlap what they write, with two-byte offsets.
        let runs = String(repeating: "ab", count: 40) + "xyz" + String(repeating: "0123456789", count: 30)
        #expect(try Snappy.decompress(Self.bytes("ff02046162fe02003602003078797a30313233343536373839fe0a00fe0a00fe0a00fe0a00860a00"), limit: 1_000) == Array(runs.utf8))
    }

    @Test func oneAndFourByteOffsetsAndLongLiterals() throws {
        // "abcd" then a 1-byte-offset copy of 4 (tag 0b000_000_01, offset 4) and a 4-byte-offset
        // copy of 2 (tag 0b000001_11, offset 8).
        #expect(try Snappy.decompress([10, 0x0C] + Array("abcd".utf8) + [0x01, 0x04, 0x07, 0x08, 0, 0, 0], limit: 100) == Array("abcdabcdab".utf8))
        // A literal of 100 bytes says its length in one more byte (tag 60 << 2, then 99).
        let hundred = [UInt8](repeating: 0x7A, count: 100)
        #expect(try Snappy.decompress([100, 60 << 2, 99] + hundred, limit: 100) == hundred)
    }

    @Test func hostileBlocksAreRefused() {
        // Declares more than the limit: refused before anything is read or allocated.
        #expect(throws: Snappy.Malformed.tooLarge(declared: 1 << 30, limit: 1 << 20)) { try Snappy.decompress([0x80, 0x80, 0x80, 0x80, 0x04], limit: 1 << 20) }
        // A copy before the start, a copy of offset 0, a literal past the end, too few and too many bytes.
        for block: [UInt8] in [[4, 0x01, 0x01], [5, 0x00, 0x61, 0x01, 0x00], [5, 0x10, 0x61], [3, 0x00, 0x61], [1, 0x04, 0x61, 0x62], [2, 0x00]] {
            #expect(throws: Snappy.Malformed.self, "\(block)") { try Snappy.decompress(block, limit: 100) }
        }
    }
}
