@testable import Logs
import Testing

/// `|=` and `!=` compare bytes, as Loki's do.
@Suite struct LineMatcherTests {
    @Test func aLiteralIsFoundByItsBytesAnywhereInTheLine() {
        #expect(LineMatcher.contains("GET /items 200", "GET"))
        #expect(LineMatcher.contains("GET /items 200", "200"))
        #expect(LineMatcher.contains("GET /items 200", "s 2"))
        #expect(LineMatcher.contains("anything", ""))
        #expect(!LineMatcher.contains("", "x"))
        #expect(!LineMatcher.contains("GE", "GET"))
        #expect(!LineMatcher.contains("GET /items 200", "201"))
        // Candidates for the first byte that fail before the match is found.
        #expect(LineMatcher.contains("aab aab aabc", "aabc"))
        #expect(LineMatcher.contains("café ✓ ok", "✓ ok"))
    }

    @Test func charactersThatSwiftCallsEqualAreNotTheSameBytes() {
        // A Kelvin sign is canonically a K and a decomposed é an é to String comparison; to
        // Loki's `|=`, and here, they are other bytes.
        #expect(!LineMatcher.contains("5 \u{212A} above", "K"))
        #expect(!LineMatcher.contains("cafe\u{301}", "café"))
        #expect(LineMatcher.contains("cafe\u{301}", "cafe"))
    }
}
