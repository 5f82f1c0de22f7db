import ApusCore
import Logging

/// What the notification routes and the delivery worker share on one node, made once when the
/// module starts.
final class NotificationsRuntime: Sendable {
    let platform: Platform
    let store: NotificationStore
    let templates: TemplateStore
    let preferences: PreferenceStore
    let endpoints: WebhookEndpointStore
    let jobs: JobQueue
    let delivery: NotificationDelivery
    let egress: EgressClient

    init(platform: Platform, settings: NotificationsSettings) {
        self.platform = platform
        let database = platform.database
        let logger = platform.logger(module: NotificationsModule.name)
        store = NotificationStore(database: database)
        templates = TemplateStore(database: database)
        preferences = PreferenceStore(database: database)
        endpoints = WebhookEndpointStore(database: database)
        jobs = platform.jobs
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
}
