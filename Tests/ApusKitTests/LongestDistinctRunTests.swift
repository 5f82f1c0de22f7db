import ApusKit
import Testing

/// The sliding window against trying every stretch.
@Suite struct LongestDistinctRunTests {
    /// The first longest stretch without a repeat, by trying them all.
    static func bruteForce(_ text: [Character]) -> [Character] {
        var best: [Character] = []
        for start in text.indices {
            var seen = Set<Character>()
            var end = start
            while end < text.count, !seen.contains(text[end]) {
                seen.insert(text[end])
                end += 1
            }
            if end - start > best.count { best = Array(text[start..<end]) }
        }
        return best
    }

    @Test func theClassicCases() {
        #expect(String("abcabcbb".longestDistinctRun()) == "abc")
        #expect(String("bbbbb".longestDistinctRun()) == "b")
        #expect(String("pwwkew".longestDistinctRun()) == "wke")
        #expect(String("".longestDistinctRun()) == "")
        #expect(String("abba".longestDistinctRun()) == "ab")
        #expect(String("tmmzuxt".longestDistinctRun()) == "mzuxt")
        #expect(Array([1, 2, 1, 3, 4, 2, 5].longestDistinctRun()) == [1, 3, 4, 2, 5])
    }

    @Test func agreesWithTryingEveryStretch() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let alphabet = Array("abcdef".prefix(Int.random(in: 1...6, using: &generator)))
            let text = (0..<Int.random(in: 0...40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            #expect(Array(text.longestDistinctRun()) == Self.bruteForce(text), "\(String(text))")
        }
    }
}
