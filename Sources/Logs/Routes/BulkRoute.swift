import ApusCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /_bulk` and `POST /{index}/_bulk`: Elasticsearch's bulk API, so rsyslog's
/// `omelasticsearch`, syslog-ng, Filebeat, Fluentd and Vector ship here. The answer is
/// Elasticsearch's: 200 with `errors` and a status per item. The same API is under
/// `/elasticsearch` too, with the root document (`GET /elasticsearch`) that Filebeat, Fluentd,
/// Vector and Elastic's own clients read the server's version from before they send anything.
struct BulkRoute {
    let service: LogsService
    static let prefix = "/elasticsearch"

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let service = self.service
        let limited = router.group().add(middleware: RequestBodyLimit(bytes: service.settings.maxBodyBytes))
        // POST or PUT, as Elasticsearch takes either (Elastic's clients send PUT).
        for method in [HTTPRequest.Method.post, .put] {
            limited.on("/_bulk", method: method) { request, context -> Response in
                try await Self.bulk(request, context, index: nil, service: service)
            }
            // The index is the first segment, captured under the platform's one name for it.
            limited.on("/{\(RouteTable.rootCapture)}/_bulk", method: method) { request, context -> Response in
                try await Self.bulk(request, context, index: try context.parameters.require(RouteTable.rootCapture), service: service)
            }
            limited.on("\(Self.prefix)/_bulk", method: method) { request, context -> Response in
                try await Self.bulk(request, context, index: nil, service: service)
            }
            limited.on("\(Self.prefix)/{index}/_bulk", method: method) { request, context -> Response in
                try await Self.bulk(request, context, index: try context.parameters.require("index"), service: service)
            }
        }
        router.get(RouterPath(Self.prefix)) { _, context -> Response in
            _ = try context.require(LogsModule.write)
            return try Self.elasticsearch(LokiQueryRoutes.json(Self.root))
        }
    }

    /// Elasticsearch's root document: a shipper checks the version is one it speaks (8 and 9
    /// read bulk requests alike).
    static let root: JSONValue = [
        "name": "apus", "cluster_name": "apus", "cluster_uuid": "apus-logs",
        "version": [
            "number": "9.1.0", "build_flavor": "default", "build_type": "apus", "lucene_version": "10.2.2",
            "minimum_wire_compatibility_version": "8.19.0", "minimum_index_compatibility_version": "8.0.0",
        ],
        "tagline": "You Know, for Search",
    ]

    /// The header Elastic's clients check to know they talk to Elasticsearch.
    static func elasticsearch(_ response: Response) -> Response {
        var response = response
        response.headers[Self.product] = "Elasticsearch"
        return response
    }

    static let product = HTTPField.Name("X-Elastic-Product")!

    static func bulk(_ request: Request, _ context: ApusRequestContext, index: String?, service: LogsService) async throws -> Response {
        let started = ContinuousClock.now
        let principal = try context.require(LogsModule.write)
        let tenant = try LokiTenant.resolve(request, principal)
        let body = try await ShippedBody.read(request, context, maxBodyBytes: service.settings.maxBodyBytes)
        let bulk: BulkRequest
        do throws(BulkRequest.Malformed) {
            bulk = try BulkRequest(
                ndjson: Array(body.readableBytesView), defaultIndex: index, labelFields: service.settings.bulkLabels, limits: service.pushLimits, now: service.nowNanoseconds
            )
        } catch {
            throw Problem.badRequest(error.reason)
        }
        guard !bulk.items.isEmpty else { throw Problem.badRequest("request body is required") }
        // Each stream's entries in the order its first line came; one hash of the labels a line.
        var slots: [LabelSet: Int] = [:]
        var streams: [(LabelSet, [LogEntry])] = []
        for item in bulk.items {
            guard case .success(let accepted) = item.outcome else { continue }
            if let slot = slots[accepted.labels] {
                streams[slot].1.append(accepted.entry)
            } else {
                slots[accepted.labels] = streams.count
                streams.append((accepted.labels, [accepted.entry]))
            }
        }
        let outcome = try await service.store(streams, tenant: tenant)
        var answer = BulkAnswer(items: bulk.items.count)
        // One random part per request, numbered per item: unique ids without a random draw each.
        let idPrefix = OpaqueID.random(words: 1)
        var sequence = 0
        for item in bulk.items {
            switch item.outcome {
            case .success(let accepted) where outcome.refusedStreams.isEmpty || !outcome.refusedStreams.contains(accepted.labels):
                answer.append(action: item.action, index: item.index, .created(id: idPrefix + String(sequence, radix: 36), sequence: sequence))
                sequence += 1
            case .success:
                answer.append(
                    action: item.action, index: item.index,
                    .refused(status: 400, type: "illegal_argument_exception", reason: "the tenant has reached its limit of \(service.settings.maxStreams) streams")
                )
            case .failure(let refusal):
                answer.append(action: item.action, index: item.index, .refused(status: refusal.status, type: refusal.type, reason: refusal.reason))
            }
        }
        let took = started.duration(to: .now).components
        let rendered = answer.rendered(tookMilliseconds: took.seconds * 1000 + took.attoseconds / 1_000_000_000_000_000)
        return Self.elasticsearch(Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: rendered)))
    }
}

/// Elasticsearch's clients read an error as `{"error": {"root_cause": […], "type", "reason"},
/// "status"}`; every error on the bulk paths is written so.
enum ElasticsearchErrors {
    static let shape = ErrorShape(applies: { $0 == "/_bulk" || $0.hasSuffix("/_bulk") || $0.hasPrefix(BulkRoute.prefix) }) { problem, _ in
        let type = switch problem.status.code {
        case 401, 403: "security_exception"
        case 404: "index_not_found_exception"
        case 413: "content_too_long_exception"
        case 415: "media_type_header_exception"
        case 429: "es_rejected_execution_exception"
        case 400..<500: "illegal_argument_exception"
        default: "exception"
        }
        let reason = JSONValue.string(problem.detail ?? problem.title)
        let cause: JSONValue = ["type": .string(type), "reason": reason]
        let body: JSONValue = ["error": ["root_cause": [cause], "type": .string(type), "reason": reason], "status": .number(Double(problem.status.code))]
        var headers = problem.headers
        headers[.contentType] = "application/json"
        headers[BulkRoute.product] = "Elasticsearch"
        let data = (try? JSONEncoder().encode(body)) ?? Data()
        return Response(status: problem.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
