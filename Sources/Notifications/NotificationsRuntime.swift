import ApusCore
import Logging

/// What the notification routes and the delivery worker share on one node.
final class NotificationsRuntime: Sendable {
    let store: NotificationStore
    let templates: TemplateStore
    let preferences: PreferenceStore
    let endpoints: WebhookEndpointStore
    let jobs: JobQueue
    let delivery: NotificationDelivery
    let egress: EgressClient

    init(platform: Platform, settings: NotificationsModule.Settings) {
        let database = platform.database
        store = NotificationStore(database: database)
        templates = TemplateStore(database: database)
        preferences = PreferenceStore(database: database)
        endpoints = WebhookEndpointStore(database: database)
        jobs = platform.jobs
        egress = EgressClient(policy: settings.egressPolicy, metrics: platform.metrics, logger: platform.logger(module: "notifications"))
        delivery = NotificationDelivery(
            store: store, templates: templates, endpoints: endpoints, jobs: platform.jobs,
            mail: settings.smtpProviders.isEmpty ? nil : MailSender(
                providers: settings.smtpProviders, client: SMTPClient(additionalTrustRoots: settings.smtpTrustRoots)
            ),
            mailFrom: settings.mailFrom, egress: egress, disableAfter: settings.disableEndpointAfter,
            logger: platform.logger(module: "notifications")
        )
    }

    func userExists(_ id: String) async throws -> Bool {
        try await store.database.read { connection in
            try await connection.raw("SELECT id FROM auth_users WHERE id = \(bind: id)").first() != nil
        }
    }
}
