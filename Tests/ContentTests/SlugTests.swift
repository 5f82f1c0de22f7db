import ApusKit
import Testing

@Suite struct SlugTests {
    @Test func titlesFoldToASCIISlugs() {
        #expect(Slug.make(from: "Crème Brûlée for Two!") == "creme-brulee-for-two")
        #expect(Slug.make(from: "Straße & Ærøskøbing") == "strasse-aeroskobing")
        #expect(Slug.make(from: "  Summer   Sale 2026 ") == "summer-sale-2026")
        #expect(Slug.make(from: "Tiếng Việt có dấu") == "tieng-viet-co-dau")
        #expect(Slug.make(from: "Łódź") == "lodz")
        #expect(Slug.make(from: "Don’t panic") == "dont-panic")
        #expect(Slug.make(from: "Ελληνικά νέα") == "ελληνικά-νέα")
        #expect(Slug.make(from: "!!!") == nil)
    }

    @Test func longTitlesAreCutAtAHyphen() throws {
        let slug = try #require(Slug.make(from: String(repeating: "word ", count: 40)))
        #expect(slug.count <= Slug.maximumLength)
        #expect(!slug.hasSuffix("-"))
        #expect(Slug.numbered(slug, 12).hasSuffix("-12"))
        #expect(Slug.numbered(slug, 12).count <= Slug.maximumLength)
    }

    @Test func editorsSlugsAreHeldToTheSameForm() {
        #expect(Slug.isValid("summer-sale"))
        #expect(Slug.isValid("ελληνικά"))
        #expect(!Slug.isValid("Summer"))
        #expect(!Slug.isValid("-a"))
        #expect(!Slug.isValid("a--b"))
        #expect(!Slug.isValid("a b"))
        #expect(!Slug.isValid(""))
    }
}
