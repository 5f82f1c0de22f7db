@testable import Logs
import Testing

/// `| json`, `| logfmt` and label filters on single lines: what each extracts, how names are
/// made labels, and which lines the filters keep.
@Suite struct LabelPipelineTests {
    static let stream = LabelSet(canonical: [("app", "api"), ("level", "info")])

    static func run(_ stages: [LogQL.Stage], _ line: String) throws -> [String: String]? {
        try LabelPipeline(stages).run(line, labels: stream).map { set in Dictionary(uniqueKeysWithValues: set.pairs.map { ($0.name, $0.value) }) }
    }

    @Test func jsonFieldsBecomeLabelsNestedNamesJoinedAndClashesRenamed() throws {
        let line = #"{"status": 502, "took": 0.25, "ok": false, "user": {"id": "u1", "geo": {"country": "NZ"}}, "tags": ["a"], "level": "error", "http.method": "GET", "1st": null}"#
        #expect(try Self.run([.json], line) == [
            "app": "api", "level": "info", "level_extracted": "error", "status": "502", "took": "0.25", "ok": "false",
            "user_id": "u1", "user_geo_country": "NZ", "http_method": "GET", "_1st": "",
        ])
        #expect(try Self.run([.json], "GET /x 200") == ["app": "api", "level": "info", "__error__": "JSONParserErr"])
        #expect(try Self.run([.json, .labelFilter(.init(name: "__error__", op: .equal, text: ""))], "not json") == nil)
    }

    @Test func logfmtPairsQuotedBareAndAlone() throws {
        #expect(Logfmt.fields(#"level=warn msg="disk \"sda\" at 91%" took=12ms retry"#)!.map { "\($0.0)=\($0.1)" } == ["level=warn", #"msg=disk "sda" at 91%"#, "took=12ms", "retry="])
        #expect(Logfmt.fields(#"msg="unclosed"#) == nil)
        #expect(try Self.run([.logfmt], "method=POST status=201")?["status"] == "201")
        #expect(try Self.run([.logfmt], #"a="open"#)?["__error__"] == "LogfmtParserErr")
    }

    @Test func labelFiltersCompareTextRegexAndNumbers() throws {
        func keeps(_ filter: LogQL.LabelFilter, _ line: String) throws -> Bool { try Self.run([.logfmt, .labelFilter(filter)], line) != nil }
        #expect(try keeps(.init(name: "status", op: .greaterOrEqual, number: 500), "status=503"))
        #expect(try !keeps(.init(name: "status", op: .greaterOrEqual, number: 500), "status=499"))
        #expect(try !keeps(.init(name: "status", op: .greater, number: 1), "status=abc"))
        #expect(try !keeps(.init(name: "status", op: .greater, number: 1), "other=2"))
        #expect(try keeps(.init(name: "took", op: .less, number: 0.5), "took=0.125"))
        #expect(try keeps(.init(name: "code", op: .notEqual, number: 404), "code=404.5"))
        #expect(try !keeps(.init(name: "code", op: .numericEqual, number: 404), "code=404.5"))
        #expect(try keeps(.init(name: "path", op: .matches, text: "/v1/.*"), "path=/v1/links"))
        #expect(try !keeps(.init(name: "path", op: .matches, text: "v1"), "path=/v1/links"))
        #expect(try keeps(.init(name: "path", op: .notMatches, text: "/v2/.*"), "path=/v1/links"))
        // A stream's own label is filtered on too, and a missing one is "".
        #expect(try keeps(.init(name: "app", op: .equal, text: "api"), "x=1"))
        #expect(try keeps(.init(name: "missing", op: .equal, text: ""), "x=1"))
        #expect(try !keeps(.init(name: "missing", op: .notEqual, text: ""), "x=1"))
    }
}
