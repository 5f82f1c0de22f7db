import ApusCore
import Foundation

/// `GET /loki/api/v1/tail`, a WebSocket: what Grafana's live view and `logcli query --tail`
/// open. `query` (a log query), `limit` (lines of history, 100) and `start` (where history
/// begins, an hour ago) are read as Loki reads them; `delay_for` is taken and not needed, since
/// lines are sent once their push has committed. The history goes out first, then each push's
/// lines the selection keeps, in Loki's tail frames. A bad query or tenant closes the socket
/// with 1008 (4403 when not allowed), its reason Loki's error text.
struct TailRoute {
    let service: LogsService
    let hub: LogTailHub

    var route: SocketRoute {
        SocketRoute("/loki/api/v1/tail") { [service, hub] inbound, socket in
            let request: (tenant: String, selection: LogQL.Selection, limit: Int, start: Int64)
            do {
                request = try Self.read(socket, service: service)
            } catch let problem as Problem {
                let code = problem.status == .forbidden ? Socket.CloseCode.forbidden : Socket.CloseCode.policyViolation
                await socket.refuse(code, reason: String((problem.detail ?? "bad request").utf8.prefix(120)) ?? "bad request")
                return
            }
            try await hub.open(socket, tenant: request.tenant, selection: request.selection)
            do {
                // To the end of time: a line dated ahead that commits meanwhile is shown here or held.
                var showed = Set<Int64>()
                let history = try await service.select(
                    request.selection, tenant: request.tenant, start: request.start, end: .max, limit: request.limit, backward: true, chunksRead: &showed
                )
                if !history.isEmpty { socket.send(try LogTailHub.frame(history)) }
                try await hub.ready(socket, showed: showed)
                // Nothing a client sends means anything; reading notices the close.
                for try await _ in inbound {}
            } catch {
                await hub.close(socket)
                throw error
            }
            await hub.close(socket)
        }
    }

    private static func read(_ socket: Socket, service: LogsService) throws -> (tenant: String, selection: LogQL.Selection, limit: Int, start: Int64) {
        guard let principal = socket.principal, principal.has(LogsModule.read) else {
            throw Problem(.forbidden, detail: "This needs the '\(LogsModule.read.name)' permission.")
        }
        let tenant = try LokiTenant.resolve(socket.upgrade.headers, principal)
        let form = FormQuery(query: socket.upgrade.query)
        guard case .logs(let selection) = try LokiQueryRoutes.query(form.get("query")) else {
            throw Problem.badRequest("tail needs a log query, not a metric query")
        }
        let limit = try LokiQueryRoutes.limit(form.get("limit"), maximum: service.settings.maxQueryLines)
        let start = try LokiQueryRoutes.time(form.get("start"), name: "start") ?? service.nowNanoseconds - 3_600_000_000_000
        return (tenant, selection, limit, start)
    }
}
