import ApusKit
import Testing

@Suite struct WordBreakTests {
    static let vocabulary: Set<String> = ["sum", "summer", "mer", "sale", "sales", "a", "s", "ale", "pine", "apple", "pineapple", "pen"]

    func segment(_ text: String) -> [String]? {
        WordBreak.segment(text) { Self.vocabulary.contains(String($0)) }
    }

    @Test func theFewestWordsWin() {
        #expect(segment("summersale") == ["summer", "sale"])
        #expect(segment("summersales") == ["summer", "sales"])
        #expect(segment("pineapplepen") == ["pineapple", "pen"])
        #expect(segment("sale") == ["sale"])
    }

    @Test func textNoWordsSpellIsNotSplit() {
        #expect(segment("summerxsale") == nil)
        #expect(segment("") == nil)
    }

    @Test func theCandidatesCoverEverySubstringASegmentationAsksAbout() {
        var asked: Set<String> = []
        _ = WordBreak.segment("pineapplepen") { asked.insert(String($0)); return Self.vocabulary.contains(String($0)) }
        #expect(asked.isSubset(of: WordBreak.candidates("pineapplepen")))
        #expect(WordBreak.candidates("abc") == ["a", "b", "c", "ab", "bc", "abc"])
    }

    @Test func longTextStaysLinearInTheWordLengthBound() {
        let text = String(repeating: "sale", count: 500)
        var checks = 0
        let words = WordBreak.segment(text, maximumWordLength: 8) { checks += 1; return Self.vocabulary.contains(String($0)) }
        #expect(words?.count == 500)
        #expect(checks <= 2_000 * 8)
    }
}
