import ApusCore
import Foundation
import Hummingbird

/// `/v1/logs/alerts`: the caller's alert rules (an admin's for another tenant with
/// `X-Scope-OrgID`), made, listed, read and removed by holders of `logs.alerts`.
struct AlertRoutes {
    let alerts: LogAlerts

    struct List: ResponseEncodable {
        let items: [AlertRule.Response]
    }

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let alerts = self.alerts
        let group = router.group("/v1/logs/alerts")
        group.post { request, context -> Response in
            let tenant = try LokiTenant.resolve(request, try context.require(LogsModule.alerts))
            let body = try await request.decodeJSON(as: AlertRule.Body.self, context: context)
            let rule = try body.rule(tenant: tenant, id: OpaqueID.make("alr", at: alerts.platform.now()), at: alerts.now).get()
            do {
                try await alerts.create(rule)
            } catch is AlertStore.NameTaken {
                throw Problem(.conflict, detail: "An alert named \(LabelSet.quoted(rule.name)) exists already.")
            }
            return try context.created(rule.response, at: "/v1/logs/alerts/\(rule.id)", for: request)
        }
        group.get { request, context -> List in
            let tenant = try LokiTenant.resolve(request, try context.require(LogsModule.alerts))
            return List(items: try await alerts.list(tenant: tenant).map(\.response))
        }
        group.get("/{id}") { request, context -> AlertRule.Response in
            let tenant = try LokiTenant.resolve(request, try context.require(LogsModule.alerts))
            let id = try context.requireID("id", kind: "alert")
            guard let rule = try await alerts.list(tenant: tenant).first(where: { $0.id == id }) else { throw Problem.notFound("No alert \(id).") }
            return rule.response
        }
        group.delete("/{id}") { request, context -> Response in
            let tenant = try LokiTenant.resolve(request, try context.require(LogsModule.alerts))
            let id = try context.requireID("id", kind: "alert")
            guard try await alerts.delete(id, tenant: tenant) else { throw Problem.notFound("No alert \(id).") }
            return Response(status: .noContent)
        }
    }
}

/// Every rule evaluated, on one node at a time, every `APUS_LOGS_ALERT_EVERY` seconds.
enum AlertEvaluation {
    static let kind = "logs.alerts"

    static func job(every interval: Double) -> RecurringJob {
        RecurringJob(name: kind, interval: interval, job: NewJob(kind: kind))
    }

    static func handler(alerts: LogAlerts) -> JobHandler {
        JobHandler(kind: kind) { _ in
            try await alerts.evaluate(at: alerts.now)
        }
    }
}
