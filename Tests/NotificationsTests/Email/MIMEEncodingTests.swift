@testable import Notifications
import ApusTesting
import Testing

@Suite struct MIMEEncodingTests {
    // MARK: Quoted-printable

    @Test func plainASCIIPassesUnchanged() {
        #expect(MIMEEncoding.quotedPrintable("Hello, world! (50% off) ~ {ok}") == "Hello, world! (50% off) ~ {ok}")
        #expect(MIMEEncoding.quotedPrintable("") == "")
    }

    @Test func equalsSignsControlCharactersAndNonASCIIAreEscaped() {
        #expect(MIMEEncoding.quotedPrintable("a=b") == "a=3Db")
        #expect(MIMEEncoding.quotedPrintable("Grüße") == "Gr=C3=BC=C3=9Fe")
        #expect(MIMEEncoding.quotedPrintable("bell\u{07}nul\u{00}del\u{7F}") == "bell=07nul=00del=7F")
        #expect(MIMEEncoding.quotedPrintable("🚀") == "=F0=9F=9A=80")
    }

    @Test func everyStyleOfLineBreakBecomesCRLF() {
        #expect(MIMEEncoding.quotedPrintable("a\nb\r\nc\rd") == "a\r\nb\r\nc\r\nd")
        #expect(MIMEEncoding.quotedPrintable("a\n\nb\n") == "a\r\n\r\nb\r\n")
        #expect(MIMEEncoding.quotedPrintable("\r\r\n") == "\r\n\r\n")
    }

    @Test func whitespaceIsLiteralExceptAtTheEndOfALine() {
        #expect(MIMEEncoding.quotedPrintable("a b\tc") == "a b\tc")
        #expect(MIMEEncoding.quotedPrintable("trailing \nand tab\t\r\nend  ") == "trailing=20\r\nand tab=09\r\nend =20")
        #expect(MIMEEncoding.quotedPrintable(" ") == "=20")
    }

    @Test func aLongLineGetsSoftBreaksAtSeventySixCharacters() throws {
        let text = String(repeating: "a", count: 200)
        let encoded = MIMEEncoding.quotedPrintable(text)
        let lines = encoded.components(separatedBy: "\r\n")
        #expect(lines.map(\.count) == [76, 76, 50])
        #expect(lines.dropLast().allSatisfy { $0.hasSuffix("=") })
        #expect(try #require(MIMEDecoding.quotedPrintable(encoded)) == Array(text.utf8))
        // Exactly 76 characters need no soft break.
        #expect(MIMEEncoding.quotedPrintable(String(repeating: "b", count: 76)) == String(repeating: "b", count: 76))
    }

    @Test func aSoftBreakNeverSplitsAnEscape() {
        let text = String(repeating: "x", count: 74) + "é"
        let lines = MIMEEncoding.quotedPrintable(text).components(separatedBy: "\r\n")
        #expect(lines == [String(repeating: "x", count: 74) + "=", "=C3=A9"])
    }

    @Test func quotedPrintableOfAnyTextDecodesToItsUTF8WithCRLFLines() throws {
        var random = SeededGenerator(seed: 2045)
        let pieces = ["a", "Z", "0", " ", "\t", "=", ".", "\n", "\r\n", "\r", "é", "東", "🚀", "\u{01}", "\u{7F}", "e\u{301}", "=?"]
        for _ in 0..<500 {
            let text = random.text(from: pieces, maximumLength: 300)
            let encoded = MIMEEncoding.quotedPrintable(text)
            let lines = encoded.components(separatedBy: "\r\n")
            #expect(encoded.utf8.allSatisfy { $0 == 0x0D || $0 == 0x0A || $0 == 0x09 || (0x20...0x7E).contains($0) }, "\(text.debugDescription)")
            #expect(lines.allSatisfy { $0.utf8.count <= 76 }, "\(text.debugDescription)")
            #expect(lines.allSatisfy { !$0.hasSuffix(" ") && !$0.hasSuffix("\t") }, "\(text.debugDescription)")
            #expect(try #require(MIMEDecoding.quotedPrintable(encoded)) == Self.crlfLines(text), "\(text.debugDescription)")
        }
    }

    /// A header field without the CRLF that ends it (`dropLast` would count CRLF as one).
    private static func withoutFinalCRLF(_ field: String) -> String {
        String(decoding: field.utf8.dropLast(2), as: UTF8.self)
    }

    private static func trimmingTrailingSpaces(_ line: String) -> Substring {
        line[..<(line.lastIndex { $0 != " " }.map(line.index(after:)) ?? line.startIndex)]
    }

    /// The UTF-8 of `text` with CRLF, LF and lone CR all written as CRLF.
    private static func crlfLines(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var previousWasCR = false
        for byte in text.utf8 {
            if byte == 0x0A, previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = byte == 0x0D
            bytes += byte == 0x0D || byte == 0x0A ? [0x0D, 0x0A] : [byte]
        }
        return bytes
    }

    // MARK: Headers

    @Test func printableASCIIHeaderTextStaysReadable() {
        #expect(MIMEEncoding.unstructured("Your order #42 has shipped!") == "Your order #42 has shipped!")
        #expect(MIMEEncoding.unstructured("") == "")
    }

    @Test func nonASCIIHeaderTextBecomesUTF8EncodedWords() throws {
        let subject = "Grüße aus Köln ✓"
        let encoded = MIMEEncoding.unstructured(subject)
        #expect(encoded == "=?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4g4pyT?=")
        #expect(MIMEDecoding.encodedWords(encoded) == subject)
    }

    @Test func textThatLooksLikeAnEncodedWordIsEncodedSoItReadsAsWritten() {
        let tricky = "=?UTF-8?B?SGk=?="
        let encoded = MIMEEncoding.unstructured(tricky)
        #expect(encoded != tricky)
        #expect(MIMEDecoding.encodedWords(encoded) == tricky)
    }

    @Test func controlCharactersInHeaderTextAreEncodedNotWritten() {
        let encoded = MIMEEncoding.unstructured("a\tb")
        #expect(encoded.hasPrefix("=?UTF-8?B?"))
        #expect(MIMEDecoding.encodedWords(encoded) == "a\tb")
    }

    @Test func aWordTooLongToFoldIsEncoded() {
        let word = String(repeating: "w", count: 901)
        let encoded = MIMEEncoding.unstructured(word)
        #expect(encoded.hasPrefix("=?UTF-8?B?"))
        #expect(MIMEDecoding.encodedWords(encoded) == word)
        #expect(MIMEEncoding.unstructured(String(repeating: "w", count: 900)) == String(repeating: "w", count: 900))
    }

    @Test func encodedWordsSplitBetweenCodePointsAndStayShort() throws {
        var random = SeededGenerator(seed: 2047)
        let pieces = ["a", " ", "é", "東", "🚀", "e\u{301}", "👩‍👩‍👧", "="]
        for _ in 0..<300 {
            let text = random.text(from: pieces, maximumLength: 80)
            let words = MIMEEncoding.encodedWords(text)
            #expect(!words.isEmpty)
            // Each word decodes on its own (no code point is split) and fits a 76-character line
            // after a header name of up to 10 characters.
            #expect(words.allSatisfy { $0.count <= 64 && MIMEDecoding.encodedWords($0) != nil }, "\(text.debugDescription)")
            #expect(MIMEDecoding.encodedWords(words.joined(separator: " ")) == text, "\(text.debugDescription)")
        }
    }

    @Test func displayNamesAreBareQuotedOrEncodedAsNeeded() {
        #expect(MIMEEncoding.phrase("Ada Lovelace") == "Ada Lovelace")
        #expect(MIMEEncoding.phrase("O'Brien & Sons") == "O'Brien & Sons")
        #expect(MIMEEncoding.phrase("Lovelace, Ada") == "\"Lovelace, Ada\"")
        #expect(MIMEEncoding.phrase("Ada \"the Countess\" L.") == "\"Ada \\\"the Countess\\\" L.\"")
        #expect(MIMEEncoding.phrase("back\\slash") == "\"back\\\\slash\"")
        #expect(MIMEEncoding.phrase("Zoë") == "=?UTF-8?B?Wm/Dqw==?=")
    }

    @Test func aShortHeaderIsOneLine() {
        #expect(MIMEEncoding.headerField("Subject", "Hello") == "Subject: Hello\r\n")
        #expect(MIMEEncoding.headerField("Subject", "") == "Subject: \r\n")
    }

    @Test func aLongHeaderIsFoldedAtSpacesAndUnfoldsToTheSameValue() {
        let value = (1...40).map { "word\($0)" }.joined(separator: " ")
        let field = MIMEEncoding.headerField("Subject", value)
        let lines = Self.withoutFinalCRLF(field).components(separatedBy: "\r\n")
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        #expect(MIMEDecoding.unfolded(Self.withoutFinalCRLF(field)) == "Subject: " + value)
    }

    @Test func foldingKeepsRunsOfSpacesAndNeverLeavesTheFirstLineEmpty() {
        let longWord = String(repeating: "x", count: 100)
        let field = MIMEEncoding.headerField("X-Long", longWord + "  two  spaces")
        #expect(field.hasPrefix("X-Long: " + longWord + " \r\n two  spaces"))
        #expect(MIMEDecoding.unfolded(Self.withoutFinalCRLF(field)) == "X-Long: " + longWord + "  two  spaces")
    }

    @Test func foldedHeadersUnfoldToTheirValueAndHaveNoBlankLines() {
        var random = SeededGenerator(seed: 5322)
        let pieces = ["a", "word", " ", "  ", String(repeating: "l", count: 40), String(repeating: "L", count: 90)]
        for _ in 0..<500 {
            let value = random.text(from: pieces, maximumLength: 20)
            let field = MIMEEncoding.headerField("Subject", value)
            #expect(field.hasSuffix("\r\n"))
            let body = Self.withoutFinalCRLF(field)
            #expect(MIMEDecoding.unfolded(body) == "Subject: " + value, "\(value.debugDescription)")
            let lines = body.components(separatedBy: "\r\n")
            // RFC 5322 section 3.2.2: a folded line must hold more than whitespace.
            #expect(lines.allSatisfy { !$0.allSatisfy { $0 == " " } }, "\(value.debugDescription)")
            // A line is longer than 78, spaces at its end aside, only when one word is.
            #expect(lines.allSatisfy { Self.trimmingTrailingSpaces($0).utf8.count <= 78 || $0.split(separator: " ").count <= 2 }, "\(value.debugDescription)")
        }
    }

    @Test func encodedWordsFoldOneToALine() {
        let subject = String(repeating: "Grüße ", count: 20)
        let field = MIMEEncoding.headerField("Subject", MIMEEncoding.unstructured(subject))
        let lines = Self.withoutFinalCRLF(field).components(separatedBy: "\r\n")
        #expect(lines.count > 2)
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
        #expect(MIMEDecoding.encodedWords(String(MIMEDecoding.unfolded(lines.joined(separator: "\r\n")).dropFirst("Subject: ".count))) == subject)
    }
}
