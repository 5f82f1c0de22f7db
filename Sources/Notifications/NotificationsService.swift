import ApusCore
import Foundation
import Logging

/// The notifications module's domain service: what the routes and the delivery worker share on
/// one node, made once when the module starts; it owns the module's transactions, so a route
/// handler only decodes, calls and encodes.
final class NotificationsService: Sendable {
    let platform: Platform
    let store: NotificationStore
    let templates: TemplateStore
    let preferences: PreferenceStore
    let endpoints: WebhookEndpointStore
    let delivery: NotificationDelivery
    let egress: EgressClient
    let egressPolicy: EgressPolicy

    init(platform: Platform, settings: NotificationsSettings) {
        self.platform = platform
        let logger = platform.logger(module: NotificationsModule.name)
        store = NotificationStore(platform: platform)
        templates = TemplateStore(platform: platform)
        preferences = PreferenceStore(platform: platform)
        endpoints = WebhookEndpointStore(platform: platform)
        egressPolicy = settings.egressPolicy
        egress = EgressClient(policy: settings.egressPolicy, settings: settings.egress, metrics: platform.metrics, logger: logger)
        delivery = NotificationDelivery(
            store: store, templates: templates, endpoints: endpoints, platform: platform,
            mail: settings.smtpProviders.isEmpty ? nil : MailSender(
                providers: settings.smtpProviders,
                client: SMTPClient(connectTimeout: settings.smtpConnectTimeout, timeout: settings.smtpTimeout, additionalTrustRoots: settings.smtpTrustRoots)
            ),
            mailFrom: settings.mailFrom, egress: egress, disableAfter: settings.disableEndpointAfter,
            logger: logger
        )
    }

    func userExists(_ id: String) async throws -> Bool {
        try await platform.users.exists(id: id)
    }

    /// Notifications `principal` sent (all for an admin), newest first.
    func list(for principal: Principal, status: NotificationStatus?, limit: Int, before cursor: String?) async throws -> [NotificationRecord] {
        try await store.list(sender: principal.listedOwner, status: status, limit: limit, before: cursor)
    }

    /// Queues a dead notification's delivery again; its status and its job change together.
    func retry(_ id: String, by principal: Principal) async throws -> NotificationRecord {
        let stored = try await visible(id, to: principal)
        guard stored.record.status == .dead, let jobID = stored.jobID else {
            throw Problem.conflict("Only dead notifications can be retried; this one is \(stored.record.status.rawValue).")
        }
        try await platform.transaction { transaction in
            guard try await transaction.replayJob(id: jobID) else {
                throw Problem.conflict("The notification's delivery is not dead any more.")
            }
            try await NotificationStore.setStatus(stored.record.id, .queued, at: transaction.now(), on: transaction.sql)
        }
        guard let updated = try await store.find(id: stored.record.id, withAttempts: true) else { throw Problem.notFound("No notification \(stored.record.id).") }
        return updated.record
    }

    /// The notification `id`, if `principal` sent it (admins see all); else a 404 problem.
    func visible(_ id: String, to principal: Principal, withAttempts: Bool = false) async throws -> NotificationStore.Stored {
        guard OpaqueID.isWellFormed(id), let stored = try await store.find(id: id, withAttempts: withAttempts),
            principal.mayAccess(ownedBy: stored.senderID)
        else { throw Problem.notFound("No notification \(id).") }
        return stored
    }

    /// Validates and queues a notification (or stores it suppressed, when the recipient muted
    /// its category); its delivery job commits with it and wakes the workers.
    func send(_ body: SendNotification, sender: Principal) async throws -> NotificationRecord {
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
            guard try await templates.find(name: name) != nil else {
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
        return try await platform.transaction { transaction in
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
    func recipientUser(_ recipient: String, channel: DeliveryChannel, sender: Principal) async throws -> String? {
        let invalid = { (message: String) in Problem.unprocessable(message, errors: [.init(field: "recipient", message: message)]) }
        switch channel {
        case .webhook:
            guard OpaqueID.isWellFormed(recipient), let endpoint = try await endpoints.find(id: recipient),
                sender.mayAccess(ownedBy: endpoint.ownerID)
            else { throw invalid("No webhook endpoint \(recipient).") }
            return nil
        case .email where !recipient.hasPrefix("usr_"):
            guard NotificationFields.isEmailAddress(recipient) else { throw invalid("\(recipient) is not an email address or a user id.") }
            return nil
        case .email, .inApp:
            guard OpaqueID.isWellFormed(recipient), try await userExists(recipient) else { throw invalid("No user \(recipient).") }
            return recipient
        }
    }
}
