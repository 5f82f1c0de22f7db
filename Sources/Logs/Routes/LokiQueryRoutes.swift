import ApusCore
import Foundation
import Hummingbird
import NIOCore

/// The read side of Loki's HTTP API, as Grafana's Loki data source calls it.
struct LokiQueryRoutes {
    let service: LogsService

    /// Loki answers at most this many points per series.
    static let maxPoints = 11_000

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let service = self.service
        let api = router.group("/loki/api/v1")
        api.get("/query_range") { request, context -> Response in
            let tenant = try LokiTenant.resolve(request, try context.require(LogsModule.read))
            let parameters = FormQuery(request)
            let query = try Self.query(parameters.get("query"))
            let end = try Self.time(parameters.get("end"), name: "end") ?? service.nowNanoseconds
            let start = try Self.time(parameters.get("start"), name: "start") ?? end - 3_600_000_000_000
            guard start <= end else { throw Problem.badRequest("end timestamp must not be before start time") }
            switch query {
            case .logs(let selection):
                let limit = try Self.limit(parameters.get("limit"), maximum: service.settings.maxQueryLines)
                let backward = try Self.backward(parameters.get("direction"))
                let streams = try await service.select(selection, tenant: tenant, start: start, end: end, limit: limit, backward: backward)
                return try Self.success(["resultType": "streams", "result": Self.streams(streams), "stats": [:]])
            case .metric(let metric):
                let step = try parameters.get("step").flatMap { $0.isEmpty ? nil : $0 }.map { text in
                    guard let step = LokiTime.step(text) else { throw Problem.badRequest("invalid step \(LabelSet.quoted(text)): a duration such as 15s, or seconds") }
                    return step
                } ?? max(1_000_000_000, (end - start) / 250 / 1_000_000_000 * 1_000_000_000)
                guard (end - start) / step < Int64(Self.maxPoints) else {
                    throw Problem.badRequest("exceeded maximum resolution of \(Self.maxPoints) points per timeseries. Try decreasing the query resolution (?step=XX)")
                }
                let times = Array(stride(from: start, through: end, by: Int(step))).map { Int64($0) }
                let series = try await service.evaluate(metric, tenant: tenant, at: times)
                let result: [JSONValue] = series.map { series in
                    ["metric": Self.labels(series.labels), "values": .array(series.points.map { [LokiTime.seconds($0.0), .string(Self.number($0.1))] })]
                }
                return try Self.success(["resultType": "matrix", "result": .array(result), "stats": [:]])
            }
        }
        api.get("/query") { request, context -> Response in
            let tenant = try LokiTenant.resolve(request, try context.require(LogsModule.read))
            let parameters = FormQuery(request)
            let query = try Self.query(parameters.get("query"))
            let time = try Self.time(parameters.get("time"), name: "time") ?? service.nowNanoseconds
            switch query {
            case .logs(let selection):
                let limit = try Self.limit(parameters.get("limit"), maximum: service.settings.maxQueryLines)
                let backward = try Self.backward(parameters.get("direction"))
                let streams = try await service.select(selection, tenant: tenant, start: time - 3_600_000_000_000, end: time + 1, limit: limit, backward: backward)
                return try Self.success(["resultType": "streams", "result": Self.streams(streams), "stats": [:]])
            case .metric(let metric):
                let series = try await service.evaluate(metric, tenant: tenant, at: [time])
                let result: [JSONValue] = series.compactMap { series in
                    series.points.first.map { ["metric": Self.labels(series.labels), "value": [LokiTime.seconds($0.0), .string(Self.number($0.1))]] }
                }
                return try Self.success(["resultType": "vector", "result": .array(result), "stats": [:]])
            }
        }
        api.get("/labels") { request, context -> Response in
            let tenant = try LokiTenant.resolve(request, try context.require(LogsModule.read))
            let names = Set(try await service.streams(tenant: tenant).flatMap { $0.pairs.map(\.name) })
            return try Self.success(.array(names.sorted().map { .string($0) }))
        }
        api.get("/label/{name}/values") { request, context -> Response in
            let tenant = try LokiTenant.resolve(request, try context.require(LogsModule.read))
            let name = try context.parameters.require("name")
            let selection = try FormQuery(request).get("query").flatMap { $0.isEmpty ? nil : $0 }.map { text -> LogQL.Selection in
                guard case .logs(let selection) = try Self.query(text) else { throw Problem.badRequest("query must be a stream selector") }
                return selection
            }
            let values = Set(try await service.streams(tenant: tenant, matching: selection).compactMap { $0[name] })
            return try Self.success(.array(values.sorted().map { .string($0) }))
        }
        api.get("/series") { request, context -> Response in
            let tenant = try LokiTenant.resolve(request, try context.require(LogsModule.read))
            var selections: [LogQL.Selection] = []
            let form = FormQuery(request)
            for text in form.getAll("match[]") + form.getAll("match") {
                guard case .logs(let selection) = try Self.query(text) else { throw Problem.badRequest("match[] must be a stream selector") }
                selections.append(selection)
            }
            let streams = try await service.streams(tenant: tenant)
            let matchers = try selections.map(LineMatcher.init)
            let chosen = streams.filter { labels in matchers.isEmpty || matchers.contains { $0.selects(labels) } }
            return try Self.success(.array(chosen.map { labels in Self.labels(labels.pairs.map { ($0.name, $0.value) }) }))
        }
        api.get("/status/buildinfo") { _, context -> Response in
            // What Grafana reads to tell which Loki features it may use.
            _ = try context.require(LogsModule.read)
            return try Self.json(["version": "3.0.0", "revision": .string("apus-\(ApusServer.version)"), "branch": "", "buildUser": "", "buildDate": "", "goVersion": ""])
        }
    }

    static func query(_ text: String?) throws -> LogQL {
        guard let text else { throw Problem.badRequest("query is required") }
        do { return try LogQLParser.parse(text) } catch { throw Problem.badRequest(error.description) }
    }

    static func time(_ text: String?, name: String) throws -> Int64? {
        // An empty value is an absent one, as Loki reads it.
        guard let text, !text.isEmpty else { return nil }
        guard let time = LokiTime.parse(text) else { throw Problem.badRequest("invalid \(name) \(LabelSet.quoted(String(text.prefix(40)))): nanoseconds, seconds or RFC 3339") }
        return time
    }

    static func limit(_ text: String?, maximum: Int) throws -> Int {
        guard let text, !text.isEmpty else { return min(100, maximum) }
        guard let limit = Int(text), limit > 0 else { throw Problem.badRequest("limit must be a positive integer") }
        guard limit <= maximum else { throw Problem.badRequest("max entries limit per query exceeded, limit > max_entries_limit (\(limit) > \(maximum))") }
        return limit
    }

    static func backward(_ text: String?) throws -> Bool {
        switch text?.lowercased() {
        case nil, "", "backward": true
        case "forward": false
        default: throw Problem.badRequest("direction must be forward or backward")
        }
    }

    static func streams(_ streams: [LogsService.StreamLines]) -> JSONValue {
        .array(streams.map { stream in
            ["stream": labels(stream.labels.pairs.map { ($0.name, $0.value) }), "values": .array(stream.entries.map { [.string(String($0.timestamp)), .string($0.line)] })]
        })
    }

    static func labels(_ pairs: [(String, String)]) -> JSONValue {
        .object(Dictionary(pairs.map { ($0.0, JSONValue.string($0.1)) }, uniquingKeysWith: { first, _ in first }))
    }

    /// A sample value as Prometheus writes one: shortest exact text, integers without a point.
    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    static func success(_ data: JSONValue) throws -> Response {
        try json(["status": "success", "data": data])
    }

    /// Keys as Loki spells them (`resultType`), not the API's snake_case.
    static func json(_ value: JSONValue) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
