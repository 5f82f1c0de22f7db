public import ApusCore
import Foundation
public import Hummingbird
import NIOSSL
public import ServiceLifecycle
import Synchronization

/// Notifications by webhook, email and in-app inbox, delivered by the job queue with retries and
/// a dead-letter list; every module event goes out to the webhook endpoints subscribed to it.
public final class NotificationsModule: Module, Sendable {
    public let name = "notifications"
    private let settings: Settings
    private let runtime = Mutex<NotificationsRuntime?>(nil)

    /// What the module reads from its environment.
    public struct Settings: Sendable {
        /// SMTP providers in fallback order (`APUS_SMTP_URLS`).
        var smtpProviders: [SMTPProvider]
        /// The sender address (`APUS_SMTP_FROM`).
        var mailFrom: String
        /// Certificate authorities trusted for SMTP besides the system's (`APUS_SMTP_CA_FILE`, PEM).
        var smtpTrustRoots: [NIOSSLCertificate]
        /// Outbound destinations allowed despite the SSRF guard (`APUS_EGRESS_ALLOW`).
        var egressPolicy: EgressPolicy
        /// Seconds a webhook endpoint may fail before it is disabled (`APUS_WEBHOOK_DISABLE_AFTER_SECONDS`, default 5 days).
        var disableEndpointAfter: Double

        /// Reads the settings from `environment`; a bad value is a configuration error.
        public static func from(_ environment: [String: String]) throws(ConfigurationError) -> Settings {
            let providers: [SMTPProvider]
            do {
                providers = try SMTPProvider.parseList(environment["APUS_SMTP_URLS"] ?? "")
            } catch {
                throw .invalid("APUS_SMTP_URLS", "\(error)")
            }
            var trustRoots: [NIOSSLCertificate] = []
            if let path = environment["APUS_SMTP_CA_FILE"], !path.isEmpty {
                do {
                    trustRoots = try NIOSSLCertificate.fromPEMFile(path)
                } catch {
                    throw .invalid("APUS_SMTP_CA_FILE", "cannot read PEM certificates from '\(path)': \(error)")
                }
                guard !trustRoots.isEmpty else { throw .invalid("APUS_SMTP_CA_FILE", "'\(path)' holds no PEM certificate") }
            }
            let policy: EgressPolicy
            do {
                policy = try EgressPolicy.fromEnvironment(environment)
            } catch {
                throw .invalid("APUS_EGRESS_ALLOW", "\(error)")
            }
            var disableAfter = 5 * 86_400.0
            if let text = environment["APUS_WEBHOOK_DISABLE_AFTER_SECONDS"], !text.isEmpty {
                guard let seconds = Double(text), seconds > 0, seconds.isFinite else {
                    throw .invalid("APUS_WEBHOOK_DISABLE_AFTER_SECONDS", "'\(text)' is not a positive number of seconds")
                }
                disableAfter = seconds
            }
            return Settings(
                smtpProviders: providers, mailFrom: environment["APUS_SMTP_FROM"].flatMap { $0.isEmpty ? nil : $0 } ?? "apus@localhost",
                smtpTrustRoots: trustRoots,
                egressPolicy: policy, disableEndpointAfter: disableAfter
            )
        }
    }

    /// Sending notifications and reading their status.
    public static let send = Permission("notifications.send", roles: [.admin, .editor])
    /// Creating and changing templates.
    public static let manageTemplates = Permission("notifications.templates", roles: [.admin, .editor])
    /// Managing one's webhook endpoints.
    public static let manageWebhooks = Permission("webhooks.manage", roles: [.admin, .editor])

    public init(settings: Settings) {
        self.settings = settings
    }

    /// The module configured from the process environment.
    public convenience init() throws(ConfigurationError) {
        self.init(settings: try .from(ProcessInfo.processInfo.environment))
    }

    public var migrations: [Migration] { NotificationsMigrations.all }
    public var permissions: [Permission] { [Self.send, Self.manageTemplates, Self.manageWebhooks] }
    public var openAPI: OpenAPIFragment { NotificationsOpenAPI.fragment }

    public func addRoutes(to router: Router<ApusRequestContext>, platform: Platform) throws {
        let runtime = NotificationsRuntime(platform: platform, settings: settings)
        self.runtime.withLock { $0 = runtime }
        NotificationRoutes(runtime: runtime).add(to: router)
        TemplateRoutes(templates: runtime.templates).add(to: router)
        WebhookEndpointRoutes(endpoints: runtime.endpoints).add(to: router)
        InboxRoutes(store: runtime.store, preferences: runtime.preferences).add(to: router)
    }

    public func jobHandlers(platform: Platform) -> [JobHandler] {
        guard let runtime = runtime.withLock({ $0 }) else { return [] }
        return [runtime.delivery.handler]
    }

    public func eventConsumers(platform: Platform) -> [EventConsumer] {
        [EventWebhooks.consumer(jobs: platform.jobs)]
    }

    public func services(platform: Platform) -> [any Service] {
        guard let runtime = runtime.withLock({ $0 }) else { return [] }
        return [EgressShutdown(client: runtime.egress)]
    }
}

/// Closes the egress client's connections when the node stops.
struct EgressShutdown: Service {
    let client: EgressClient

    func run() async throws {
        try? await gracefulShutdown()
        try? await client.shutdown()
    }
}
