import ApusCore
import Foundation
import Hummingbird

/// Sending and inspecting notifications under `/v1/notifications`.
struct NotificationRoutes {
    let runtime: NotificationsRuntime

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let notifications = router.group("/v1/notifications").add(middleware: RequirePermission(NotificationsModule.send))
        notifications.post { request, context -> Response in
            let principal = try context.require(NotificationsModule.send)
            let body = try await request.decodeJSON(as: SendNotification.self, context: context)
            let record = try await send(body, sender: principal)
            var response = try context.responseEncoder.encode(record, from: request, context: context)
            response.status = .accepted
            response.headers[.location] = "/v1/notifications/\(record.id)"
            return response
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
            let cursor = try request.uri.queryParameters.get("cursor").map { text -> String in
                guard OpaqueID.isWellFormed(text) else { throw Problem.badRequest("cursor is not one this API handed out.") }
                return text
            }
            let page = try await runtime.store.list(sender: principal.isAdmin ? nil : principal.userID, status: status, limit: limit + 1, before: cursor)
            return Page(fetched: page, limit: limit) { $0.id }
        }
        notifications.get("/{id}") { _, context -> NotificationRecord in
            try await visible(context, withAttempts: true).record
        }
        notifications.post("/{id}/retry") { _, context -> NotificationRecord in
            let stored = try await visible(context)
            guard stored.record.status == .dead, let jobID = stored.jobID else {
                throw Problem.conflict("Only dead notifications can be retried; this one is \(stored.record.status.rawValue).")
            }
            // The status and the job change together, or neither does.
            try await runtime.platform.transaction { transaction in
                guard try await transaction.replayJob(id: jobID) else {
                    throw Problem.conflict("The notification's delivery is not dead any more.")
                }
                try await NotificationStore.setStatus(stored.record.id, .queued, on: transaction.sql)
            }
            guard let updated = try await runtime.store.find(id: stored.record.id, withAttempts: true) else { throw Problem.notFound("No notification \(stored.record.id).") }
            return updated.record
        }
    }

    /// The notification named in the path, if the caller sent it (admins see all).
    private func visible(_ context: ApusRequestContext, withAttempts: Bool = false) async throws -> NotificationStore.Stored {
        let principal = try context.require(NotificationsModule.send)
        let id = try context.parameters.require("id")
        guard OpaqueID.isWellFormed(id), let stored = try await runtime.store.find(id: id, withAttempts: withAttempts),
            principal.isAdmin || stored.senderID == principal.userID
        else { throw Problem.notFound("No notification \(id).") }
        return stored
    }

    private func send(_ body: SendNotification, sender: Principal) async throws -> NotificationRecord {
        guard let channel = DeliveryChannel(rawValue: body.channel) else {
            throw Problem.unprocessable("channel is webhook, email or in_app.", errors: [.init(field: "channel", message: "must be webhook, email or in_app")])
        }
        let category = body.category ?? "general"
        guard NotificationFields.isName(category) else {
            throw Problem.unprocessable("category is 1-64 of A-Z a-z 0-9 _ - .", errors: [.init(field: "category", message: "invalid")])
        }
        let data = body.data ?? .object([:])
        guard case .object = data else { throw Problem.unprocessable("data must be an object.", errors: [.init(field: "data", message: "must be an object")]) }
        if let name = body.template {
            guard try await runtime.templates.find(name: name) != nil else {
                throw Problem.unprocessable("No template \(name).", errors: [.init(field: "template", message: "no such template")])
            }
        } else {
            guard let text = body.body, !text.isEmpty, text.utf8.count <= 100_000 else {
                throw Problem.unprocessable("Give a template, or a body (up to 100 kB).", errors: [.init(field: "body", message: "required without a template")])
            }
            if channel == .email, (body.subject ?? "").isEmpty {
                throw Problem.unprocessable("An email needs a subject or a template.", errors: [.init(field: "subject", message: "required for email without a template")])
            }
        }
        if let subject = body.subject, subject.utf8.count > 998 {
            throw Problem.unprocessable("subject is at most 998 bytes.", errors: [.init(field: "subject", message: "too long")])
        }
        let userID = try await recipientUser(body.recipient, channel: channel, sender: sender)
        return try await runtime.platform.transaction { transaction in
            var status = NotificationStatus.queued
            if let userID, channel != .webhook,
                try await !PreferenceStore.allows(userID: userID, category: category, channel: channel, on: transaction.sql)
            {
                status = .suppressed
            }
            return try await NotificationStore.insert(
                .init(
                    senderID: sender.userID, channel: channel, recipient: body.recipient, userID: userID, category: category,
                    template: body.template, subject: body.subject, body: body.body, data: data, eventType: nil, status: status
                ),
                in: transaction
            )
        }
    }

    /// Checks the recipient for the channel; returns the user it names, if any.
    private func recipientUser(_ recipient: String, channel: DeliveryChannel, sender: Principal) async throws -> String? {
        let invalid = { (message: String) in Problem.unprocessable(message, errors: [.init(field: "recipient", message: message)]) }
        switch channel {
        case .webhook:
            guard OpaqueID.isWellFormed(recipient), let endpoint = try await runtime.endpoints.find(id: recipient),
                sender.isAdmin || endpoint.ownerID == sender.userID
            else { throw invalid("No webhook endpoint \(recipient).") }
            return nil
        case .email where !recipient.hasPrefix("usr_"):
            guard NotificationFields.isEmailAddress(recipient) else { throw invalid("\(recipient) is not an email address or a user id.") }
            return nil
        case .email, .inApp:
            guard OpaqueID.isWellFormed(recipient), try await runtime.userExists(recipient) else { throw invalid("No user \(recipient).") }
            return recipient
        }
    }
}
