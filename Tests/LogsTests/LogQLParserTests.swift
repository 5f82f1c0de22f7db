@testable import Logs
import Testing

@Suite struct LogQLParserTests {
    @Test func selectorsAndLineFilters() throws {
        let query = try LogQLParser.parse(#"{app="api", level!="debug", env=~"prod|stage", host!~`db.*`} |= "GET" != "health" |~ "5\\d\\d" !~ `^#`"#)
        #expect(query == .logs(.init(
            matchers: [
                .init(name: "app", op: .equal, value: "api"), .init(name: "level", op: .notEqual, value: "debug"),
                .init(name: "env", op: .matches, value: "prod|stage"), .init(name: "host", op: .notMatches, value: "db.*"),
            ],
            filters: [.init(op: .contains, value: "GET"), .init(op: .notContains, value: "health"), .init(op: .matches, value: #"5\d\d"#), .init(op: .notMatches, value: "^#")]
        )))
    }

    @Test func parsersAndLabelFiltersFormAPipelineInOrderWithLineFiltersAside() throws {
        let query = try LogQLParser.parse(#"{app="api"} |= "GET" | json | status >= 500 | method!="HEAD" |~ "x" | logfmt | path=~"/v1/.*" | took < 0.5 | __error__="" | code != 404 | n == 3"#)
        guard case .logs(let selection) = query else { Issue.record("not a log query"); return }
        #expect(selection.filters == [.init(op: .contains, value: "GET"), .init(op: .matches, value: "x")])
        #expect(selection.stages == [
            .json,
            .labelFilter(.init(name: "status", op: .greaterOrEqual, number: 500)),
            .labelFilter(.init(name: "method", op: .notEqual, text: "HEAD")),
            .logfmt,
            .labelFilter(.init(name: "path", op: .matches, text: "/v1/.*")),
            .labelFilter(.init(name: "took", op: .less, number: 0.5)),
            .labelFilter(.init(name: "__error__", op: .equal, text: "")),
            .labelFilter(.init(name: "code", op: .notEqual, number: 404)),
            .labelFilter(.init(name: "n", op: .numericEqual, number: 3)),
        ])
        guard case .metric(let metric) = try LogQLParser.parse(#"sum by (status) (count_over_time({app="api"} | json | status > 399 [5m]))"#) else { Issue.record("not a metric"); return }
        #expect(metric.selection.stages == [.json, .labelFilter(.init(name: "status", op: .greater, number: 399))])
    }

    @Test func metricQueriesWithTheirRangesAndGrouping() throws {
        let query = try LogQLParser.parse(#"sum by (level) (count_over_time({app="api"} |= "error" [5m]))"#)
        guard case .metric(let metric) = query else { Issue.record("not a metric"); return }
        #expect(metric.function == .countOverTime && metric.range == 300_000_000_000 && metric.grouping == .sum(by: ["level"]))
        #expect(metric.selection.filters == [.init(op: .contains, value: "error")])
        guard case .metric(let rate) = try LogQLParser.parse(#"sum(rate({app="api"}[1h30m])) by (app)"#) else { Issue.record("not a metric"); return }
        #expect(rate.function == .rate && rate.range == 5_400_000_000_000 && rate.grouping == .sum(by: ["app"]))
        guard case .metric(let bytes) = try LogQLParser.parse(#"bytes_over_time({app="api"}[250ms])"#) else { Issue.record("not a metric"); return }
        #expect(bytes.range == 250_000_000 && bytes.grouping == .none)
    }

    @Test(arguments: [
        (#"{app="api""#, 11), (#"{app=api}"#, 6), (#"{}"#, 3), (#"{app=""}"#, 9), (#"{app=~".*"}"#, 12),
        (#"{app="a"} | line_format "x""#, 13), (#"{a="b"} | json foo="bar""#, 16), (#"{a="b"} | status >= "5""#, 21),
        (#"{a="b"} | status = 5"#, 20), (#"{a="b"} | a="x" and b="y""#, 17), (#"{a="b"} | status > 5xx"#, 21), (#"{a="b"} |"#, 10),
        // Compiles alone, not anchored as label patterns run: \Q quotes to the end, past the ")$".
        (#"{a=~"\\Qx"}"#, 5), (#"{a="b"} | x=~"\\Qy""#, 14), (#"max_over_time({a="b"}[5m])"#, 14), (#"count_over_time({a="b"}[5])"#, 26),
        (#"{a=~"("}"#, 5), ("", 1), (#"{a="b"} x"#, 9),
    ])
    func whatIsNotLogQLItAnswersIsRefusedWithItsColumn(_ query: String, _ column: Int) {
        #expect(throws: LogQLError.self) { try LogQLParser.parse(query) }
        do { _ = try LogQLParser.parse(query) } catch { #expect(error.column == column, "\(query): \(error)") }
    }
}
