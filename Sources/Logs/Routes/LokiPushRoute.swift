import ApusCore
import ApusKit
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /loki/api/v1/push`: what promtail, Grafana Alloy, python-logging-loki and Loki's other
/// clients send: JSON, gzip-compressed or not, or protobuf compressed with snappy.
struct LokiPushRoute {
    let service: LogsService

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let service = self.service
        router.group("/loki/api/v1").add(middleware: RequestBodyLimit(bytes: service.settings.maxBodyBytes)).post("/push") { request, context -> Response in
            let principal = try context.require(LogsModule.write)
            let tenant = try LokiTenant.resolve(request, principal)
            let body = try await ShippedBody.read(request, context, maxBodyBytes: service.settings.maxBodyBytes)
            let push = try Self.decode(body, type: request.headers[.contentType], service: service)
            let outcome = try await service.store(push.streams, tenant: tenant)
            let refusals = push.refusals + outcome.refusals
            guard refusals.isEmpty else {
                let shown = refusals.prefix(20).joined(separator: "\n")
                let more = refusals.count > 20 ? "\n… and \(refusals.count - 20) more" : ""
                throw Problem.badRequest("\(outcome.stored) entries stored; these were refused:\n\(shown)\(more)")
            }
            return Response(status: .noContent)
        }
    }

    /// The push in the body: JSON, or protobuf compressed with snappy's block format.
    static func decode(_ body: ByteBuffer, type: String?, service: LogsService) throws -> LokiPush {
        let type = type?.lowercased() ?? "application/json"
        if type.hasPrefix("application/json") {
            do throws(LokiPush.Malformed) { return try LokiPush(json: body.readableBytesView, limits: service.pushLimits) } catch {
                throw Problem.badRequest(error.reason)
            }
        }
        guard type.hasPrefix("application/x-protobuf") || type.hasPrefix("application/protobuf") else {
            throw Problem(.unsupportedMediaType, detail: "Send the push as application/json, or as application/x-protobuf compressed with snappy.")
        }
        let limit = service.settings.maxBodyBytes * 8
        let bytes: [UInt8]
        do throws(Snappy.Malformed) { bytes = try Snappy.decompress(body.readableBytesView, limit: limit) } catch {
            switch error {
            case .tooLarge(let declared, _): throw Problem.badRequest("The snappy body declares \(declared) bytes uncompressed, more than \(limit).")
            case .corrupt(let reason): throw Problem.badRequest("The protobuf push is not a snappy block: \(reason).")
            }
        }
        do throws(LokiPush.Malformed) { return try LokiPush(protobuf: bytes, limits: service.pushLimits) } catch {
            throw Problem.badRequest(error.reason)
        }
    }
}

/// Whose logs a request reads or writes: the caller's own, or for an admin the tenant
/// `X-Scope-OrgID` names (as Loki's multi-tenant mode does).
enum LokiTenant {
    static let header = HTTPField.Name("X-Scope-OrgID")!

    static func resolve(_ request: Request, _ principal: Principal) throws -> String {
        try resolve(request.headers, principal)
    }

    static func resolve(_ headers: HTTPFields, _ principal: Principal) throws -> String {
        guard let chosen = headers[header] else { return principal.userID }
        guard principal.isAdmin else { throw Problem(.forbidden, detail: "Only admins choose a tenant with X-Scope-OrgID.") }
        guard (1...150).contains(chosen.utf8.count), chosen.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x2F }) else {
            throw Problem.badRequest("X-Scope-OrgID must be 1 to 150 printable characters without / or spaces.")
        }
        return chosen
    }
}
