@testable import Content
import Testing

/// Known XSS payloads through the Markdown renderer: none may leave a tag, attribute or URL
/// that runs script.
@Suite struct RichTextTests {
    static let payloads = [
        "<script>alert(1)</script>",
        "Hello <img src=x onerror=alert(1)>",
        "<svg/onload=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click]( javascript:alert(1))",
        "[click](jav&#x61;script:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](vbscript:msgbox(1))",
        "[x](\" onmouseover=\"alert(1))",
        "![img](\" onerror=\"alert(1))",
        "![img](javascript:alert(1))",
        "[ref][1]\n\n[1]: javascript:alert(1)",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "`<script>` in code is text",
        "```\n<script>alert(1)</script>\n```",
        "<<script>script>alert(1)<</script>/script>",
        "<p onclick=\"alert(1)\">para</p>",
        "**bold <b onmouseover=alert(1)>x</b>**",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    ]

    @Test(arguments: payloads)
    func payloadsRenderInert(_ payload: String) {
        let html = RichTextRenderer().html(from: payload)
        // Text is escaped, so every '<' left starts a tag the allowlist wrote.
        let tags = html.lowercased().split(separator: "<").dropFirst().map { "<" + ($0.split(separator: ">", maxSplits: 1).first ?? "") }
        let allowed = ["p", "/p", "a", "/a", "img", "em", "/em", "strong", "/strong", "code", "/code", "pre", "/pre"]
        for tag in tags {
            let name = tag.dropFirst().prefix { $0.isLetter || $0 == "/" }
            #expect(allowed.contains(String(name)), "\(payload) → \(html)")
            for attribute in [" on", " style="] {
                #expect(!tag.contains(attribute), "\(payload) → \(html)")
            }
            for scheme in ["javascript:", "vbscript:", "data:", "jav&"] {
                #expect(!tag.contains("=\"\(scheme)") && !tag.contains("=\" \(scheme)"), "\(payload) → \(html)")
            }
        }
    }

    @Test func markdownStillRenders() {
        let html = RichTextRenderer().html(from: "# Title\n\nSome *emphasis*, **strong**, `code` and a [link](https://example.com/a?b=1&c=2).\n\n- one\n- two\n\n![alt](/img.png)")
        #expect(html.contains("<h1>Title</h1>"))
        #expect(html.contains("<em>emphasis</em>"))
        #expect(html.contains("<strong>strong</strong>"))
        #expect(html.contains("<code>code</code>"))
        #expect(html.contains("<a href=\"https://example.com/a?b=1&amp;c=2\">link</a>"))
        #expect(html.contains("<ul><li>one</li><li>two</li></ul>"))
        #expect(html.contains("<img src=\"/img.png\" alt=\"alt\"/>"))
    }

    @Test func rawHTMLShowsAsText() {
        #expect(RichTextRenderer().html(from: "a <b>bold</b> word") == "<p>a &lt;b&gt;bold&lt;/b&gt; word</p>")
    }
}
