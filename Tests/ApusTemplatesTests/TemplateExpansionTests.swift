import ApusCore
import Mustache
@testable import ApusTemplates
import Testing

@Suite struct TemplateExpansionTests {
    private static let bomb = "{{#a}}{{#a}}{{#a}}{{#a}}x{{/a}}{{/a}}{{/a}}{{/a}}"

    private static func list(_ count: Int) -> JSONValue {
        .array((0..<count).map { .number(Double($0)) })
    }

    @Test func fourNestedLoopsOverSixtyItemsStopAtTheLimit() throws {
        // Rendered, this is 60⁴ ≈ 13 million passes; the count stops at the limit, which the
        // error names (how long that takes is for a benchmark, not a test).
        #expect(throws: TemplateRenderer.LimitExceeded(limit: .sectionPasses, value: 100_000)) {
            try TemplateRenderer.render(Self.bomb, data: ["a": Self.list(60)], html: false)
        }
        #expect(TemplateRenderer.LimitExceeded(limit: .sectionPasses, value: 100_000).description
            == "the template repeats its sections more than 100000 times with this data")
    }

    @Test func theSameTemplateRendersWhereItsDataIsSmall() throws {
        let rendered = try TemplateRenderer.render(Self.bomb, data: ["a": Self.list(10)], html: true)
        #expect(rendered == String(repeating: "x", count: 10_000))
    }

    @Test func sectionsNestedSixDeepAreRefusedWhenSavedAndWhenRendered() throws {
        let template = String(repeating: "{{#a}}", count: 6) + "x" + String(repeating: "{{/a}}", count: 6)
        #expect(throws: TemplateRenderer.Invalid.self) { try TemplateRenderer.validate(template) }
        let error = try #require(throws: TemplateRenderer.Invalid.self) {
            try TemplateRenderer.render(template, data: ["a": Self.list(100)], html: true)
        }
        #expect(error.description == "sections nest more than 4 deep")
    }

    @Test func fourLevelsOfAnyKindOfSectionAreAllowedAndFiveAreNot() throws {
        try TemplateRenderer.validate("{{#a}}{{^b}}{{$c}}{{#d}}deep{{/d}}{{/c}}{{/b}}{{/a}}")
        for fifth in ["{{#e}}x{{/e}}", "{{^e}}x{{/e}}", "{{$e}}x{{/e}}", "{{<e}}{{/e}}"] {
            let template = "{{#a}}{{^b}}{{$c}}{{#d}}\(fifth){{/d}}{{/c}}{{/b}}{{/a}}"
            #expect(throws: TemplateRenderer.Invalid.self, "\(fifth)") { try TemplateRenderer.validate(template) }
        }
        // Siblings do not add up.
        try TemplateRenderer.validate(String(repeating: "{{#a}}{{#b}}{{#c}}{{#d}}x{{/d}}{{/c}}{{/b}}{{/a}}", count: 100))
    }

    @Test func aTemplateTooDeepForTheLibrarysParserIsRefusedWithoutParsingIt() throws {
        let template = String(repeating: "{{#a}}", count: 50_000) + String(repeating: "{{/a}}", count: 50_000)
        #expect(throws: TemplateRenderer.Invalid.self) { try TemplateRenderer.validate(template) }
    }

    @Test func aLoopOverAThousandItemsRenders() throws {
        let items: JSONValue = .array((1...1000).map { ["name": .string("item \($0)"), "price": .number(Double($0) / 4)] })
        let rendered = try TemplateRenderer.render(
            "<ul>{{#items}}<li>{{name}}: {{price}} €{{#last()}}.{{/last()}}</li>{{/items}}</ul>",
            data: ["items": items], html: true
        )
        #expect(rendered.hasPrefix("<ul><li>item 1: 0.25 €</li><li>item 2: 0.5 €</li>"))
        #expect(rendered.hasSuffix("<li>item 1000: 250 €.</li></ul>"))
        #expect(rendered.components(separatedBy: "<li>").count == 1001)
    }

    @Test func twoNestedLoopsOfFiftyByFiftyRender() throws {
        let rows: JSONValue = .array((0..<50).map { row in ["cells": .array((0..<50).map { .number(Double(row * 50 + $0)) })] })
        let rendered = try TemplateRenderer.render("{{#rows}}[{{#cells}}{{.}},{{/cells}}]{{/rows}}", data: ["rows": rows], html: false)
        #expect(rendered.filter { $0 == "[" }.count == 50)
        #expect(rendered.split(separator: ",").count == 2501)
        #expect(rendered.hasSuffix("2498,2499,]"))
    }

    @Test func aRenderWritingMoreThanOneMiBIsRefusedBeforeItIsWritten() throws {
        let data: JSONValue = ["items": Self.list(200), "big": .string(String(repeating: "b", count: 10_000))]
        let error = try #require(throws: TemplateRenderer.LimitExceeded.self) {
            try TemplateRenderer.render("{{#items}}{{big}}{{/items}}", data: data, html: false)
        }
        #expect(error == TemplateRenderer.LimitExceeded(limit: .outputBytes, value: 1 << 20))
        #expect(error.description == "the template renders more than 1 MiB with this data")
        // Escaping counts: 200 items of 1,000 quotes are 1.2 MB in HTML and 200 kB in text.
        let quotes: JSONValue = ["items": Self.list(200), "big": .string(String(repeating: "\"", count: 1000))]
        #expect(throws: TemplateRenderer.LimitExceeded.self) {
            try TemplateRenderer.render("{{#items}}{{big}}{{/items}}", data: quotes, html: true)
        }
        #expect(try TemplateRenderer.render("{{#items}}{{big}}{{/items}}", data: quotes, html: false).utf8.count == 200_000)
    }

    @Test func manyLookupsOfMissingNamesAreBoundedToo() throws {
        let template = "{{#a}}" + String(repeating: "{{missing}}", count: 200) + "{{/a}}"
        let error = try #require(throws: TemplateRenderer.LimitExceeded.self) {
            try TemplateRenderer.render(template, data: ["a": Self.list(600)], html: false)
        }
        #expect(error.limit == .lookups)
        #expect(error.description == "the template looks up more than 100000 names with this data")
        #expect(try TemplateRenderer.render(template, data: ["a": Self.list(400)], html: false).isEmpty)
    }

    @Test func eachLimitHoldsExactlyAtItsValue() throws {
        let limits = TemplateRenderer.Limits(sectionDepth: 2, sectionPasses: 10, lookups: 12, outputBytes: 20)
        #expect(try TemplateRenderer.render("{{#a}}x{{/a}}", data: ["a": Self.list(10)], html: false, limits: limits) == "xxxxxxxxxx")
        #expect(throws: TemplateRenderer.LimitExceeded(limit: .sectionPasses, value: 10)) {
            try TemplateRenderer.render("{{#a}}x{{/a}}", data: ["a": Self.list(11)], html: false, limits: limits)
        }
        #expect(try TemplateRenderer.render("{{#a}}{{.}}{{/a}}", data: ["a": Self.list(10)], html: false, limits: limits) == "0123456789")
        #expect(throws: TemplateRenderer.LimitExceeded(limit: .lookups, value: 12)) {
            try TemplateRenderer.render("{{#a}}{{.}}{{.}}{{/a}}", data: ["a": Self.list(6)], html: false, limits: limits)
        }
        #expect(try TemplateRenderer.render("{{t}}", data: ["t": .string(String(repeating: "t", count: 20))], html: false, limits: limits).count == 20)
        #expect(throws: TemplateRenderer.LimitExceeded(limit: .outputBytes, value: 20)) {
            try TemplateRenderer.render("{{t}}!", data: ["t": .string(String(repeating: "t", count: 20))], html: false, limits: limits)
        }
        try TemplateRenderer.validate("{{#a}}{{#b}}{{/b}}{{/a}}", limits: limits)
        #expect(throws: TemplateRenderer.Invalid.self) { try TemplateRenderer.validate("{{#a}}{{#b}}{{#c}}{{/c}}{{/b}}{{/a}}", limits: limits) }
    }

    @Test func theValuesLookupsSkipHaveNothingALookupCouldFind() {
        // The expansion answers lookups in these without the library's casts and Mirror.
        let values: [Any] = ["text", 42, 0.5, true, [1, "two"] as [Any]]
        for value in values {
            #expect(Mirror(reflecting: value).children.allSatisfy { $0.label == nil }, "\(type(of: value))")
            #expect(!(value is any MustacheCustomRepresentation), "\(type(of: value))")
        }
    }

    @Test func passesAreCountedAsTheLibraryRendersThem() throws {
        func passes(_ template: String, _ data: JSONValue) throws -> Int {
            let outline = try TemplateRenderer.Outline(template, maximumDepth: 4)
            return try TemplateRenderer.Expansion.measure(
                outline, data: TemplateRenderer.mustacheValue(data), escapes: false, limits: .standard
            ).sectionPasses
        }
        #expect(try passes(Self.bomb, ["a": Self.list(3)]) == 3 + 9 + 27 + 81)
        #expect(try passes("{{#flag}}{{#object}}{{^empty}}{{^missing}}x{{/missing}}{{/empty}}{{/object}}{{/flag}}", [
            "flag": true, "object": ["empty": []],
        ]) == 4)
        #expect(try passes("{{#off}}{{/off}}{{^on}}{{/on}}{{#nothing}}{{/nothing}}{{#full}}{{/full}}", [
            "off": false, "on": true, "nothing": nil, "full": [1, 2],
        ]) == 2)
        // Transforms that keep a list keep its passes; first and last make one.
        #expect(try passes("{{#reversed(a)}}{{/reversed(a)}}{{#first(a)}}{{/first(a)}}", ["a": Self.list(5)]) == 6)
        #expect(try passes("{{#enumerated(o)}}{{key}}{{/enumerated(o)}}", ["o": ["x": 1, "y": 2, "z": 3]]) == 3)
        // A name an inner element lacks is found outside it, as the library finds it.
        #expect(try passes("{{#rows}}{{#cells}}{{/cells}}{{/rows}}", ["rows": [[:], [:]], "cells": Self.list(4)]) == 2 + 8)
    }
}
