import ApusCore
import Foundation
import Hummingbird

/// `GET /v1/logs/trace/{trace_id}`: every line of one trace, across streams, nodes and
/// modules, in time order: the caller's own lines, and for an admin the node's own
/// (`APUS_LOGS_SELF`) too.
struct TraceRoute {
    let service: LogsService

    struct Line: ResponseEncodable {
        let time: Date
        let timestamp: String
        let labels: [String: String]
        let line: String
        let metadata: [String: String]
    }

    struct Trace: ResponseEncodable {
        let traceId: String
        let lines: [Line]
    }

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let service = self.service
        router.get("/v1/logs/trace/{trace_id}") { _, context -> Trace in
            let principal = try context.require(LogsModule.read)
            let id = try context.parameters.require("trace_id")
            guard (1...64).contains(id.utf8.count), id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D }) else {
                throw Problem.badRequest("A trace id is 1 to 64 letters, digits or dashes (W3C's are 32 hex digits).")
            }
            let tenants = principal.isAdmin ? [principal.userID, LogsService.ownTenant] : [principal.userID]
            let lines = try await service.trace(id, tenants: tenants).map { traced in
                Line(
                    time: Date(timeIntervalSince1970: Double(traced.entry.timestamp) / 1_000_000_000), timestamp: String(traced.entry.timestamp),
                    labels: Dictionary(traced.labels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }),
                    line: traced.entry.line, metadata: traced.entry.metadata
                )
            }
            return Trace(traceId: id, lines: lines)
        }
    }
}
