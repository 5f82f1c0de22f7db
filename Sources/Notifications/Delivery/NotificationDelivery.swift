import ApusCore
import ApusTemplates
import Foundation
import HTTPTypes
import Logging
import SQLKit

/// Delivers one notification per job: email through the SMTP providers, webhooks signed through
/// the egress client, in-app by making it visible in the inbox. Records every attempt.
struct NotificationDelivery: Sendable {
    let store: NotificationStore
    let templates: TemplateStore
    let endpoints: WebhookEndpointStore
    let platform: Platform
    let mail: MailSender?
    let mailFrom: String
    let egress: EgressClient
    /// An endpoint failing for longer than this is disabled and its owner told.
    let disableAfter: Double
    let logger: Logger

    var handler: JobHandler {
        JobHandler(kind: NotificationStore.deliverKind) { job in try await deliver(job) }
    }

    func deliver(_ job: ClaimedJob) async throws {
        guard let id = try job.decode([String: String].self)["id"], let stored = try await store.find(id: id) else { return }
        // A rerun after the completion was lost must not send twice.
        guard ![.delivered, .suppressed].contains(stored.record.status) else { return }
        let attempt = stored.attemptCount + 1
        try await store.setStatus(id, .sending)
        do {
            let response = try await send(stored)
            try await store.record(id, attempt: attempt, outcome: "delivered", response: response, error: nil, status: .delivered)
        } catch {
            let failure = error as? DeliveryFailure ?? DeliveryFailure(message: String(describing: error))
            let final = failure.permanent || job.isLastAttempt
            try await store.record(id, attempt: attempt, outcome: "failed", response: failure.response, error: failure.message, status: final ? .dead : .failed)
            if failure.permanent { throw JobFailure.permanent(failure.message) }
            if let wait = failure.retryAfter { throw JobFailure.retry(after: wait, reason: failure.message) }
            throw failure
        }
    }

    private func send(_ stored: NotificationStore.Stored) async throws -> String {
        switch stored.record.channel {
        case .inApp:
            return "in inbox"
        case .email:
            return try await sendEmail(stored.record)
        case .webhook:
            return try await sendWebhook(stored.record)
        }
    }

    // MARK: Email

    /// Subject, text and HTML of a notification, from its template or its own subject and body.
    func content(_ record: NotificationRecord) async throws -> (subject: String, text: String, html: String?) {
        guard let name = record.template else { return (record.subject ?? "", record.body ?? "", nil) }
        guard let template = try await templates.find(name: name) else {
            throw DeliveryFailure(message: "template \(name) no longer exists", permanent: true)
        }
        // The same template with the same data fails the same way every time: no retry.
        do {
            return (
                try TemplateRenderer.render(template.subject, data: record.data, html: false),
                try TemplateRenderer.render(template.textBody, data: record.data, html: false),
                try template.htmlBody.map { try TemplateRenderer.render($0, data: record.data, html: true) }
            )
        } catch {
            throw DeliveryFailure(message: "template \(name) cannot be rendered: \(error)", permanent: true)
        }
    }

    private func sendEmail(_ record: NotificationRecord) async throws -> String {
        guard let mail else { throw DeliveryFailure(message: "no SMTP provider is configured (APUS_SMTP_URLS)", permanent: true) }
        let address = try await emailAddress(record.recipient)
        let content = try await content(record)
        let message = MailMessage(
            from: mailFrom, to: [address], subject: content.subject.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " "),
            text: content.text, html: content.html, date: platform.now()
        )
        do {
            let provider = try await mail.send(message)
            return "accepted by \(provider.host):\(provider.port)"
        } catch let error as SMTPError where MailSender.isRecipientRejection(error) {
            throw DeliveryFailure(response: "\(error)", message: "the recipient was refused", permanent: true)
        } catch {
            throw DeliveryFailure(message: "\(error)")
        }
    }

    private func emailAddress(_ recipient: String) async throws -> String {
        guard OpaqueID.isWellFormed(recipient), recipient.hasPrefix("usr_") else { return recipient }
        guard let email = try await platform.users.user(id: recipient)?.email else { throw DeliveryFailure(message: "user \(recipient) no longer exists", permanent: true) }
        return email
    }

    // MARK: Webhooks

    private func sendWebhook(_ record: NotificationRecord) async throws -> String {
        guard let endpoint = try await endpoints.find(id: record.recipient) else {
            throw DeliveryFailure(message: "webhook endpoint \(record.recipient) no longer exists", permanent: true)
        }
        var health = EndpointHealth(endpoint.endpoint, disableAfter: disableAfter)
        guard !health.isDisabled else {
            throw DeliveryFailure(message: "webhook endpoint \(endpoint.endpoint.id) is disabled", permanent: true)
        }
        let now = platform.now()
        let body = Array(NotificationStore.encode([
            "type": .string(record.eventType ?? record.category),
            "timestamp": .string(Timestamp.format(record.createdAt)),
            "data": record.data,
        ]).utf8)
        var headers: HTTPFields = [.contentType: "application/json", .userAgent: "Apus-Webhooks/1"]
        // The message id stays the notification's across retries, so receivers can deduplicate.
        for (name, value) in WebhookSignature.headers(secret: endpoint.secret, messageID: record.id, timestamp: now, body: body) {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let response: EgressResponse
        do {
            response = try await egress.execute(EgressRequest(method: .post, url: endpoint.endpoint.url, headers: headers, body: body))
        } catch .circuitOpen(let host) {
            // Nothing was sent: the host is resting after failures. Not held against the endpoint.
            throw DeliveryFailure(message: "\(EgressError.circuitOpen(host: host))", retryAfter: 10)
        } catch .refused(let reason) {
            // The guard's answer does not change on a retry.
            throw DeliveryFailure(message: "the destination is refused: \(reason)", permanent: true)
        } catch {
            try await failing(endpoint, reason: "\(error)")
            throw DeliveryFailure(message: "\(error)")
        }
        let statusLine = "HTTP \(response.status)"
        switch response.status {
        case 200..<300:
            try await endpoints.noteSuccess(id: endpoint.endpoint.id)
            return statusLine
        case 410:
            health.recordGone()
            if let reason = health.disabledReason { try await disable(endpoint, reason: reason) }
            throw DeliveryFailure(response: statusLine, message: "the endpoint is gone (410); it has been disabled", permanent: true)
        default:
            try await failing(endpoint, reason: statusLine)
            let retryAfter = response.headers[.retryAfter].flatMap(Double.init)
            throw DeliveryFailure(response: statusLine, message: "the endpoint answered \(response.status)", retryAfter: retryAfter)
        }
    }

    /// Notes a failure; an endpoint failing for longer than `disableAfter` is disabled.
    private func failing(_ endpoint: WebhookEndpointStore.Stored, reason: String) async throws {
        let now = platform.now()
        // The store starts the clock once for every delivery to the endpoint; the rule reads it from there.
        let since = try await endpoints.noteFailure(id: endpoint.endpoint.id, at: now)
        var health = EndpointHealth(disableAfter: disableAfter, state: .failing(since: since))
        health.recordFailure(now: now, reason: reason)
        guard let disabledReason = health.disabledReason else { return }
        try await disable(endpoint, reason: disabledReason)
        throw DeliveryFailure(response: reason, message: "the endpoint has failed since \(Timestamp.format(since)); it has been disabled", permanent: true)
    }

    /// Disables the endpoint and tells its owner in their inbox (category `critical`).
    private func disable(_ endpoint: WebhookEndpointStore.Stored, reason: String) async throws {
        guard try await endpoints.disable(id: endpoint.endpoint.id, reason: reason) else { return }
        logger.warning("webhook endpoint disabled", metadata: ["endpoint": "\(endpoint.endpoint.id)", "reason": "\(reason)"])
        try await platform.transaction { transaction in
            _ = try await NotificationStore.insert(
                .init(
                    senderID: nil, channel: .inApp, recipient: endpoint.ownerID, userID: endpoint.ownerID, category: PreferenceStore.critical,
                    template: nil, subject: "Webhook endpoint disabled",
                    body: "Deliveries to \(endpoint.endpoint.url) stopped: \(reason). Fix the receiver, then enable the endpoint again.",
                    data: ["endpoint_id": .string(endpoint.endpoint.id)], eventType: nil, status: .queued
                ),
                in: transaction
            )
        }
    }
}
