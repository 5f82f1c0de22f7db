import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct SiteTests {
    /// The `<loc>`s of a sitemap or sitemap index.
    static func locations(_ xml: String) -> [String] {
        xml.components(separatedBy: "<loc>").dropFirst().map { String($0.prefix { $0 != "<" }) }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func theSitemapListsEveryPublishedURLAndSplitsIntoAnIndex(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine, settings: ["APUS_CONTENT_SITEMAP_MAX_URLS": "3"]) { cms in
            try await cms.type()
            try await cms.type(#"{"name":"Memo","api_id":"memos","url_pattern":"/memo/{id}","fields":[{"name":"title","kind":"text"}]}"#)
            var expected: [String] = []
            for n in 1...7 {
                let entry = try await cms.entry(#"{"title":"Post \#(n) & more"}"#)
                #expect(try await cms.move(entry, "publish").status == .ok)
                expected.append("https://site.example/blog/\(entry.string("slug"))")
            }
            _ = try await cms.entry(#"{"title":"A draft"}"#)
            #expect(try await cms.move(try await cms.entry(#"{"title":"Private"}"#, type: "memos"), "publish", type: "memos").status == .ok)
            let index = try await cms.get("/sitemap.xml")
            #expect(index.status == .ok)
            #expect(index.headers[.contentType] == "application/xml; charset=utf-8")
            #expect(index.text.contains("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"))
            let children = Self.locations(index.text)
            #expect(children == (1...3).map { "https://site.example/sitemaps/\($0).xml" })
            var found: [String] = []
            for child in 1...3 {
                let sitemap = try await cms.get("/sitemaps/\(child).xml")
                #expect(sitemap.text.contains("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"))
                #expect(sitemap.text.contains("<lastmod>"))
                found += Self.locations(sitemap.text)
            }
            #expect(found == expected)
            #expect(try await cms.get("/sitemaps/4.xml").status == .notFound)
            #expect(try await cms.get("/sitemaps/01.xml").status == .notFound)
            let robots = try await cms.get("/robots.txt")
            #expect(robots.text.contains("Sitemap: https://site.example/sitemap.xml\n"))
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aSmallSiteHasOneSitemapAndLocalesOfTheirOwnWhenThePatternNamesThem(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type(#"""
                {"name":"Guide","api_id":"guides","public":true,"url_pattern":"/{locale}/guides/{slug}","locales":["en","fr"],
                 "fields":[{"name":"title","kind":"text","localised":true},{"name":"slug","kind":"slug","from":"title","localised":true}]}
                """#)
            let entry = try await cms.entry(#"{"title":"Getting started"}"#, type: "guides")
            _ = try await cms.save(entry, #"{"title":"Premiers pas"}"#, type: "guides", locale: "fr")
            #expect(try await cms.move(entry, "publish", type: "guides").status == .ok)
            let sitemap = try await cms.get("/sitemap.xml")
            #expect(Self.locations(sitemap.text) == [
                "https://site.example/en/guides/getting-started", "https://site.example/fr/guides/premiers-pas",
            ])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPublicTypeHasAnAtomFeedOfItsNewestEntries(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            try await cms.type(#"{"name":"Memo","api_id":"memos","fields":[{"name":"title","kind":"text"}]}"#)
            for title in ["Older", "Newer <b>"] {
                #expect(try await cms.move(try await cms.entry(#"{"title":"\#(title)","body":"Some *emphasis*"}"#), "publish").status == .ok)
            }
            let feed = try await cms.get("/feeds/posts.atom")
            #expect(feed.status == .ok)
            #expect(feed.headers[.contentType] == "application/atom+xml; charset=utf-8")
            let text = feed.text
            #expect(text.contains(#"<feed xmlns="http://www.w3.org/2005/Atom">"#))
            #expect(text.contains("<title>Newer &lt;b&gt;</title>"))
            #expect(text.contains("&lt;p&gt;Some &lt;em&gt;emphasis&lt;/em&gt;&lt;/p&gt;"))
            #expect(text.range(of: "Newer")!.lowerBound < text.range(of: "Older")!.lowerBound)
            #expect(text.contains(#"<link rel="alternate" href="https://site.example/blog/older"/>"#))
            #expect(try await cms.get("/feeds/memos.atom").status == .notFound)
            #expect(try await cms.get("/feeds/nothing.atom").status == .notFound)
            #expect(try await cms.get("/feeds/posts.rss").status == .notFound)
        }
    }
}
