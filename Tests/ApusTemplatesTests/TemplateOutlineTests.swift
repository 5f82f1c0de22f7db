import ApusCore
import Mustache
@testable import ApusTemplates
import ApusTesting
import Testing

/// The outline and the expansion read templates and data as swift-mustache does: what they count
/// is what the library writes, to the byte where no standalone line or block indentation is
/// involved, and never less.
@Suite struct TemplateOutlineTests {
    private static let data: JSONValue = [
        "name": "Ada <&> \"q\" 'x'",
        "count": 3,
        "ratio": 0.5,
        "flag": true,
        "off": false,
        "nothing": nil,
        "items": ["a", "b<", 3, nil, ["name": "inner", "items": ["deep"]]],
        "empty": [],
        "object": ["name": "obj", "list": [1, 2], "key": "k", "value": "v"],
        "rows": [["name": "r1"], ["items": ["x", "y"]], [:]],
    ]

    private static let unlimited = TemplateRenderer.Limits(sectionDepth: 4, sectionPasses: .max, lookups: .max, outputBytes: .max)

    /// The output bytes the expansion counts, and the bytes the render writes.
    private func bytes(_ template: String, html: Bool, data: JSONValue = Self.data) throws -> (counted: Int, written: Int) {
        let outline = try TemplateRenderer.Outline(template, maximumDepth: 4)
        let expansion = try TemplateRenderer.Expansion.measure(
            outline, data: TemplateRenderer.mustacheValue(data), escapes: html, limits: Self.unlimited
        )
        let written = try TemplateRenderer.render(template, data: data, html: html, limits: Self.unlimited)
        return (expansion.outputBytes, written.utf8.count)
    }

    @Test(arguments: [
        "plain text only",
        "{{name}}|{{{name}}}|{{&name}}|{{ name }}|{{count}}|{{ratio}}|{{flag}}|{{nothing}}|{{missing}}",
        "{{items}}|{{object}}|{{empty}}|{{rows}}|{{.}}",
        "{{#items}}[{{.}}|{{name}}]{{/items}}",
        "{{#object}}{{name}}-{{.name}}-{{count}}-{{.count}}{{/object}}",
        "{{#rows}}({{name}}{{#items}}<{{.}}>{{/items}}){{/rows}}",
        "{{#items}}{{#first()}}F{{/first()}}{{index()}}{{#odd()}}o{{/odd()}}{{^last()}},{{/last()}}{{/items}}",
        "{{count(items)}} {{first(items)}} {{last(object.list)}} {{plusone(count)}} {{uppercased(name)}} {{reversed(name)}}",
        "{{#reversed(items)}}{{.}}{{/reversed(items)}}{{#enumerated(object)}}{{key}}={{value}};{{/enumerated(object)}}",
        "{{#uppercased(name)}}{{.}}{{/uppercased(name)}}{{#empty(empty)}}E{{/empty(empty)}}{{^empty(items)}}N{{/empty(items)}}",
        "{{^empty}}none{{/empty}}{{^nothing}}null{{/nothing}}{{^off}}off{{/off}}{{^flag}}on{{/flag}}{{^items}}x{{/items}}",
        "{{#flag}}{{name}}{{/flag}}{{#off}}{{name}}{{/off}}{{#nothing}}n{{/nothing}}{{#count}}{{.}}{{/count}}",
        "{{object.name}} {{object.list}} {{object.missing.deep}} {{items.name}} {{.name}}",
        "{{=<% %>=}}<%name%><%#items%>[<%.%>]<%/items%><%={{ }}=%>{{count}}",
        "{{! a } b }}x{{! }}}y",
        "{{=<% %>=}}<%! a %%> b %>x<%name%>",
        "{{% CONTENT_TYPE: TEXT}}{{name}}",
        "{{% CONTENT_TYPE: HTML }}{{name}}",
        "{{#items}}{{% CONTENT_TYPE: TEXT}}{{.}}{{/items}}{{name}}",
        "{{>partial}}{{<parent}}{{$b}}x{{name}}{{/b}}{{/parent}}after",
        "x{{$block}}default {{name}}{{/block}}",
        "{{#a}}{{#a}}{{#a}}{{#a}}x{{/a}}{{/a}}{{/a}}{{/a}}",
        "ends with a delimiter {{",
    ])
    func theCountedOutputIsWhatTheLibraryWrites(_ template: String) throws {
        for html in [false, true] {
            let (counted, written) = try bytes(template, html: html, data: Self.data.merging(["a": [1, 2, 3]]))
            #expect(counted == written, "html: \(html)")
        }
    }

    @Test(arguments: [
        "line\n{{#items}}\n  {{.}}\n{{/items}}\nend\n",
        "  {{! standalone comment }}\n{{name}}",
        "a{{\nb}}{{name}}",
        "  {{$block}}\none\ntwo {{name}}\n{{/block}}\n",
        "\t{{$outer}}\n\t{{$inner}}\n{{#items}}{{.}}\n{{/items}}{{/inner}}\n{{/outer}}",
        "\r\n{{#flag}}\r\n{{name}}\r\n{{/flag}}\r\n",
    ])
    func withLineBreaksTheCountIsNeverLess(_ template: String) throws {
        for html in [false, true] {
            let (counted, written) = try bytes(template, html: html)
            #expect(counted >= written, "html: \(html)")
        }
    }

    @Test func randomTemplatesAreReadAndCountedAsTheLibraryReadsAndWritesThem() throws {
        var generator = TemplateGenerator(random: SeededGenerator(seed: 1994))
        for _ in 0..<2_000 {
            let template = generator.template()
            let outlineReadsIt = (try? TemplateRenderer.Outline(template, maximumDepth: 4)) != nil
            let libraryReadsIt = (try? MustacheTemplate(string: template)) != nil
            #expect(outlineReadsIt == libraryReadsIt, "\(template.debugDescription)")
            guard outlineReadsIt, libraryReadsIt else { continue }
            // Without line breaks, blocks or leading blanks nothing is standalone or indented.
            let exact = !template.unicodeScalars.contains { $0 == "\n" || $0 == "\r" } && !template.contains("{{$")
                && !template.hasPrefix(" ") && !template.hasPrefix("\t")
            for html in [false, true] {
                let (counted, written) = try bytes(template, html: html)
                #expect(counted >= written, "\(template.debugDescription) html: \(html)")
                if exact {
                    #expect(counted == written, "\(template.debugDescription) html: \(html)")
                }
            }
        }
    }

    @Test(arguments: ["{{#a}}", "{{/a}}", "{{#a}}{{/b}}", "{{name", "{{{name}}", "{{=<% %>}}", "{{$a(b)}}{{/a(b)}}", "{{! open", "{{#a(b}}{{/a(b}}",
        "{{<p}}{{name}}{{/p}}", "{{<p}}{{#a}}{{/a}}{{/p}}", "ends in {"])
    func theOutlineRefusesWhatTheLibraryRefuses(_ template: String) {
        #expect(throws: (any Error).self) { try MustacheTemplate(string: template) }
        #expect(throws: TemplateRenderer.Outline.Failure.self) { try TemplateRenderer.Outline(template, maximumDepth: 4) }
        #expect(throws: TemplateRenderer.Invalid.self) { try TemplateRenderer.validate(template) }
    }
}

/// Random templates of the tags and names the library knows, nested at most three deep, with
/// scraps of syntax that may make them invalid.
private struct TemplateGenerator {
    var random: SeededGenerator

    private let names = [
        "name", "count", "ratio", "flag", "off", "nothing", "missing", "items", "empty", "object", "rows", ".",
        "object.name", "object.list", ".name", "object.missing.deep", "first(items)", "last(items)", "count(items)",
        "reversed(items)", "enumerated(object)", "key", "value", "index()", "first()", "last()", "odd()",
        "uppercased(name)", "empty(items)", "plusone(count)",
    ]
    // Text, and scraps of tags: half delimiters, delimiter changes, pragmas, parents, a
    // delimiter followed by a line break or a combining mark.
    private let texts = [
        "a", " ", "<&>", "\"'", "é", "🚀", "\t", "x y", "\n", "  \n", "\r\n", "}", "{", "(", ")", "\u{301}",
        "{{", "}}", "{{{", "}}}", "{{!", "{{/", "{{#", "{{\n", "{\u{301}{", "{{ name }}", "{{=<% %>=}}", "<%", "%>",
        "<%={{ }}=%>", "{{% CONTENT_TYPE: TEXT}}", "{{>p}}", "{{<p}}", "{{/p}}", "{{$b}}", "{{/b}}",
    ]

    mutating func template() -> String {
        nodes(depth: 0)
    }

    private mutating func nodes(depth: Int) -> String {
        (0..<Int.random(in: 0...4, using: &random)).map { _ in node(depth: depth) }.joined()
    }

    private mutating func node(depth: Int) -> String {
        let name = names.randomElement(using: &random)!
        switch Int.random(in: 0..<(depth < 3 ? 10 : 6), using: &random) {
        case 0, 1: return texts.randomElement(using: &random)!
        case 2: return "{{\(name)}}"
        case 3: return "{{{\(name)}}}"
        case 4: return "{{& \(name) }}"
        case 5: return "{{! note }}"
        case 6, 7: return "{{#\(name)}}\(nodes(depth: depth + 1)){{/\(name)}}"
        case 8: return "{{^\(name)}}\(nodes(depth: depth + 1)){{/\(name)}}"
        default: return "{{$b}}\(nodes(depth: depth + 1)){{/b}}"
        }
    }
}
