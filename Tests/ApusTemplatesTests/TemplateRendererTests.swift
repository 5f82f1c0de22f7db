import ApusCore
@testable import ApusTemplates
import Testing

@Suite struct TemplateRendererTests {
    private let ada: JSONValue = [
        "name": "Ada <Lovelace> & \"Co\" 'Ltd'",
        "count": 42,
        "ratio": 0.25,
        "whole": 3.0,
        "vip": true,
        "muted": false,
        "nothing": nil,
        "items": ["tea", "cake", "scones"],
        "empty": [],
        "address": ["city": "London", "street": ["name": "St James's Square", "number": 12]],
        "orders": [["id": "o1", "lines": [["sku": "a"], ["sku": "b"]]], ["id": "o2", "lines": [["sku": "c"]]]],
    ]

    private func text(_ template: String, _ data: JSONValue? = nil) throws -> String {
        try TemplateRenderer.render(template, data: data ?? ada, html: false)
    }

    private func html(_ template: String, _ data: JSONValue? = nil) throws -> String {
        try TemplateRenderer.render(template, data: data ?? ada, html: true)
    }

    @Test func variablesAreReplacedWithTheirValues() throws {
        #expect(try text("Hello {{name}}, you have {{count}} messages.") == "Hello Ada <Lovelace> & \"Co\" 'Ltd', you have 42 messages.")
        #expect(try text("{{ address.city }}, {{address.street.number}} {{address.street.name}}") == "London, 12 St James's Square")
    }

    @Test func wholeNumbersHaveNoDecimalsAndOthersKeepThem() throws {
        #expect(try text("{{count}} {{whole}} {{ratio}}") == "42 3 0.25")
        #expect(try text("{{n}}", ["n": 1e20]) == "1e+20")
        #expect(try text("{{n}}", ["n": -7]) == "-7")
    }

    @Test func aMissingNameRendersNothing() throws {
        #expect(try text("[{{missing}}][{{address.missing}}][{{name.missing}}]") == "[][][]")
    }

    @Test func aNullRendersNothingAndIsFalse() throws {
        #expect(try text("[{{nothing}}]") == "[]")
        #expect(try text("{{#nothing}}shown{{/nothing}}") == "")
        #expect(try text("{{^nothing}}absent{{/nothing}}") == "absent")
        #expect(try text("{{#items}}[{{.}}]{{/items}}", ["items": [nil, "x"]]) == "[][x]")
    }

    @Test func aNullStopsTheLookupInsteadOfFindingAnOuterValue() throws {
        let data: JSONValue = ["name": "outer", "inner": ["name": nil]]
        #expect(try text("{{#inner}}[{{name}}]{{/inner}}", data) == "[]")
    }

    @Test func sectionsLoopOverListsAndTestFlags() throws {
        #expect(try text("{{#items}}<{{.}}>{{/items}}") == "<tea><cake><scones>")
        #expect(try text("{{#vip}}VIP{{/vip}}{{#muted}}muted{{/muted}}") == "VIP")
        #expect(try text("{{^empty}}no items{{/empty}}{{^items}}none{{/items}}{{^muted}}loud{{/muted}}") == "no itemsloud")
        #expect(try text("{{#address}}{{city}}{{/address}}") == "London")
    }

    @Test func nestedSectionsSeeTheirOwnElementAndWhatIsAround() throws {
        let rendered = try text("{{#orders}}{{id}}:{{#lines}} {{sku}}@{{id}}{{/lines}};{{/orders}}")
        #expect(rendered == "o1: a@o1 b@o1;o2: c@o2;")
    }

    @Test func thePositionInAListCanBeTested() throws {
        #expect(try text("{{#items}}{{.}}{{^last()}}, {{/last()}}{{/items}}") == "tea, cake, scones")
        #expect(try text("{{#items}}{{index()}}{{/items}} {{count(items)}} {{first(items)}}") == "012 3 tea")
    }

    @Test func textBodiesAreNotEscaped() throws {
        #expect(try text("{{name}} {{{name}}} {{&name}}") == Array(repeating: "Ada <Lovelace> & \"Co\" 'Ltd'", count: 3).joined(separator: " "))
    }

    @Test func htmlBodiesEscapeEveryVariableUnlessTripleBraced() throws {
        #expect(try html("<b>{{name}}</b>") == "<b>Ada &lt;Lovelace&gt; &amp; &quot;Co&quot; &#39;Ltd&#39;</b>")
        #expect(try html("{{{name}}}|{{&name}}") == "Ada <Lovelace> & \"Co\" 'Ltd'|Ada <Lovelace> & \"Co\" 'Ltd'")
        #expect(try html("{{#items}}<li>{{.}}</li>{{/items}}", ["items": ["<script>", "a&b"]]) == "<li>&lt;script&gt;</li><li>a&amp;b</li>")
    }

    @Test func aQuoteFollowedByACombiningMarkIsEscapedAllTheSame() throws {
        // One Character to Swift, yet a browser ends the attribute at the quote.
        let attack: JSONValue = ["url": "x\"\u{301} onmouseover=alert(1) x='\u{301}"]
        let rendered = try html("<a href=\"{{url}}\">", attack)
        #expect(rendered == "<a href=\"x&quot;\u{301} onmouseover=alert(1) x=&#39;\u{301}\">")
        #expect(!rendered.dropFirst(9).dropLast(2).unicodeScalars.contains("\""))
    }

    @Test func theTemplatesOwnTextIsNeverEscaped() throws {
        #expect(try html("<p class=\"a\">Tom & Jerry's</p>") == "<p class=\"a\">Tom & Jerry's</p>")
    }

    @Test func aTemplateKeepsItsLeadingBlankLine() throws {
        #expect(try text("\nHello") == "\nHello")
        #expect(try text("  \nHello {{count}}") == "  \nHello 42")
        #expect(try html("\n<p>{{count}}</p>") == "\n<p>42</p>")
    }

    @Test func standaloneTagsTakeTheirLineWithThem() throws {
        #expect(try text("Items:\n{{#items}}\n- {{.}}\n{{/items}}\nEnd") == "Items:\n- tea\n- cake\n- scones\nEnd")
    }

    @Test func commentsAndDelimiterChangesRenderNothing() throws {
        #expect(try text("a{{! a comment }}b{{=<% %>=}}<%count%>{{count}}") == "ab42{{count}}")
    }

    @Test func validateAcceptsWhatRendersAndRefusesBrokenTemplates() throws {
        try TemplateRenderer.validate("Hello {{name}}{{#items}}{{.}}{{/items}}")
        for broken in ["{{#items}}no end", "{{#a}}{{/b}}", "{{/a}}", "{{name", "{{{name}}", "{{=<% %>}}", "{{% CONTENT_TYPE: PDF}}"] {
            #expect(throws: TemplateRenderer.Invalid.self, "\(broken)") { try TemplateRenderer.validate(broken) }
            #expect(throws: TemplateRenderer.Invalid.self, "\(broken)") { try TemplateRenderer.render(broken, data: [:], html: false) }
        }
    }
}
