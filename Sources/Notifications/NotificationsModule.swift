public import ApusCore
import Foundation
import Hummingbird
import ServiceLifecycle

/// Notifications by webhook, email and in-app inbox, delivered by the job queue with retries and
/// a dead-letter list; every module event goes out to the webhook endpoints subscribed to it.
public struct NotificationsModule: Module {
    /// The module's name: its tables are `notifications_*`, its permissions `notifications.*`.
    public static let name = "notifications"
    public var name: String { Self.name }

    /// Sending notifications and reading their status.
    public static let send = Permission(module: name, "send", roles: [.admin, .editor])
    /// Creating and changing templates.
    public static let manageTemplates = Permission(module: name, "templates", roles: [.admin, .editor])
    /// Managing one's webhook endpoints.
    public static let manageWebhooks = Permission(module: name, "webhooks", roles: [.admin, .editor])

    public init() {}

    public var migrations: [Migration] { NotificationsMigrations.all }
    public var permissions: [Permission] { [Self.send, Self.manageTemplates, Self.manageWebhooks] }
    public var openAPI: OpenAPIFragment { NotificationsOpenAPI.fragment }
    public var events: [EventDeclaration] { NotificationsEvents.all }

    public func start(_ platform: Platform) throws -> ModuleParts {
        let service = NotificationsService(platform: platform, settings: try NotificationsSettings(platform.settings))
        let routes = RouteCollection(context: ApusRequestContext.self)
        NotificationRoutes(service: service).add(to: routes)
        TemplateRoutes(templates: service.templates).add(to: routes)
        WebhookEndpointRoutes(endpoints: service.endpoints, policy: service.egressPolicy, eventTypes: platform.eventTypes).add(to: routes)
        InboxRoutes(store: service.store, preferences: service.preferences).add(to: routes)
        return ModuleParts(
            routes: routes,
            services: [EgressShutdown(client: service.egress)],
            jobHandlers: [service.delivery.handler],
            eventConsumers: NotificationsEvents.consumers(users: platform.users)
        )
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
