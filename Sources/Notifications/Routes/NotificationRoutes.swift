import ApusCore
import Foundation
import Hummingbird

/// Sending and inspecting notifications under `/v1/notifications`: decode, call the service,
/// encode.
struct NotificationRoutes {
    let service: NotificationsService

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let notifications = router.group("/v1/notifications").add(middleware: RequirePermission(NotificationsModule.send))
        notifications.post { request, context -> Response in
            let principal = try context.require(NotificationsModule.send)
            let body = try await request.decodeJSON(as: SendNotification.self, context: context)
            let record = try await service.send(body, sender: principal)
            return try context.accepted(record, at: "/v1/notifications/\(record.id)", for: request)
        }
        notifications.get { request, context -> Page<NotificationRecord> in
            let principal = try context.require(NotificationsModule.send)
            let limit = try request.pageLimit()
            let status = try request.uri.queryParameters.get("status").map { text -> NotificationStatus in
                guard let status = NotificationStatus(rawValue: text) else {
                    throw Problem.badRequest("status is one of \(NotificationStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                return status
            }
            let page = try await service.list(for: principal, status: status, limit: limit + 1, before: try request.pageCursor())
            return Page(fetched: page, limit: limit) { $0.id }
        }
        notifications.get("/{id}") { _, context -> NotificationRecord in
            try await service.visible(try context.parameters.require("id"), to: try context.require(NotificationsModule.send), withAttempts: true).record
        }
        notifications.post("/{id}/retry") { _, context -> NotificationRecord in
            try await service.retry(try context.parameters.require("id"), by: try context.require(NotificationsModule.send))
        }
    }
}
