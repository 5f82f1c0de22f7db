import ApusKit
import Testing

@Suite struct SubstringFilterTests {
    /// Log-like lines from a fixed seed: words, numbers and a hex id each.
    static func lines(count: Int, seed: UInt64) -> [String] {
        var generator = SplitMix64(seed: seed)
        let words = ["GET", "POST", "/v1/items", "/v1/orders", "timeout", "retry", "checkout", "browse", "cache", "upstream"]
        return (0..<count).map { index in
            let id = String(UInt64.random(in: 0...UInt64.max, using: &generator), radix: 16)
            return "10.0.\(index % 256).\(Int.random(in: 0..<256, using: &generator)) \(words.randomElement(using: &generator)!) "
                + "\(words.randomElement(using: &generator)!) \(Int.random(in: 100..<90_000, using: &generator)) trace=\(id) req=\(index)"
        }
    }

    @Test func everySubstringOfWhatWasInsertedMayBeThere() {
        let lines = Self.lines(count: 500, seed: 1)
        var filter = SubstringFilter(sizedFor: lines.reduce(0) { $0 + $1.utf8.count })
        for line in lines { filter.insert(line) }
        for line in lines {
            let bytes = Array(line.utf8)
            for start in stride(from: 0, to: bytes.count, by: 3) {
                for length in [1, 3, 4, 5, 9, 16, 40] where start + length <= bytes.count {
                    #expect(filter.mayContain(Array(bytes[start..<start + length])), "\(line) [\(start), +\(length))")
                }
            }
        }
    }

    @Test func idsThatWereNeverInsertedAreAlmostAlwaysRuledOut() {
        // A block of 1,000 lines, then 10,000 ids of 16 hex digits from another seed.
        let lines = Self.lines(count: 1_000, seed: 2)
        var filter = SubstringFilter(sizedFor: lines.reduce(0) { $0 + $1.utf8.count })
        for line in lines { filter.insert(line) }
        #expect((0.15...0.55).contains(filter.fill), "\(filter.fill)")
        var generator = SplitMix64(seed: 3)
        let passed = (0..<10_000).filter { _ in
            let id = String(UInt64.random(in: 1 << 60...UInt64.max, using: &generator), radix: 16)
            return filter.mayContain(Array("trace=\(id)".utf8))
        }.count
        #expect(passed < 20, "\(passed) of 10,000 absent ids passed")
        // A word the lines never hold, and a short term, which no 4-gram can rule out.
        #expect(!filter.mayContain(Array("OutOfMemoryError".utf8)))
        #expect(filter.mayContain(Array("zq".utf8)))
    }

    @Test func aFilterIsSizedByItsTextAndReadsBackFromItsBytes() {
        #expect(SubstringFilter(sizedFor: 0).words.count * 64 == SubstringFilter.minimumBits)
        #expect(SubstringFilter(sizedFor: 30_000).words.count * 64 == 16_384)
        #expect(SubstringFilter(sizedFor: 10_000_000).words.count * 64 == SubstringFilter.maximumBits)
        var filter = SubstringFilter(sizedFor: 5_000)
        filter.insert("level=error msg=\"disk full\"")
        let bytes = filter.bytes
        #expect(bytes.count == 256)
        #expect(SubstringFilter(bytes: bytes) == filter)
        #expect(SubstringFilter(bytes: bytes.dropLast()) == nil)
        #expect(SubstringFilter(bytes: [UInt8](repeating: 0, count: 96)) == nil, "not a power of two")
        #expect(SubstringFilter(bytes: bytes)?.mayContain(Array("disk full".utf8)) == true)
    }
}
