@testable import Content
import Testing

/// URL patterns filled in for sitemaps and feeds: placeholders replaced by encoded segments,
/// everything else kept as written.
@Suite struct SiteURLTests {
    @Test func placeholdersBecomeEncodedSegmentsAndOtherTextStays() {
        let pattern = SiteURLPattern("/{locale}/guides/{slug}?ref={id}")
        #expect(pattern.parts == [.text("/"), .locale, .text("/guides/"), .slug, .text("?ref="), .id])
        #expect(pattern.url(base: "https://example.com", id: "ent_1", locale: "pt-BR", slug: "café au lait") == "https://example.com/pt-BR/guides/caf%C3%A9%20au%20lait?ref=ent_1")
        // A pattern that needs a slug has no URL for an entry without one; one that does not, has.
        #expect(pattern.url(base: "", id: "ent_1", locale: "en", slug: nil) == nil)
        #expect(SiteURLPattern("/memo/{id}").url(base: "", id: "a/b", locale: "en", slug: nil) == "/memo/a%2Fb")
    }

    @Test func bracesThatNameNoPlaceholderAreText() {
        let pattern = SiteURLPattern("/{x}/{{slug}}/{id")
        #expect(pattern.parts == [.text("/{x}/{"), .slug, .text("}/{id")])
        #expect(pattern.url(base: "b", id: "i", locale: "l", slug: "s") == "b/{x}/{s}/{id")
        #expect(SiteURLPattern("").url(base: "b", id: "i", locale: "l", slug: nil) == "b")
    }

    @Test func xmlEscapingLeavesPlainTextAsItIsAndDropsWhatXMLCannotHold() {
        #expect(SiteURL.xmlEscaped("https://example.com/a-b") == "https://example.com/a-b")
        #expect(SiteURL.xmlEscaped("a&b<c>'\"\u{1}d\te") == "a&amp;b&lt;c&gt;&apos;&quot;d\te")
    }
}
