public import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// Short links with click analytics: `POST /v1/links`, and `GET /{code}` redirects. This module
/// is the worked example of `docs/writing-a-module.md`.
public struct LinksModule: Module {
    /// The module's name: its tables are `links_*`, its permissions `links.*`.
    public static let name = "links"
    public var name: String { Self.name }

    /// Creating and managing one's own links (any signed-in role).
    public static let manageLinks = Permission(module: name, "manage", roles: Set(Role.allCases))

    public init() {}

    public var migrations: [Migration] { LinksMigrations.all }
    public var events: [EventDeclaration] { LinksEvents.all }
    public var permissions: [Permission] { [Self.manageLinks] }
    public var openAPI: OpenAPIFragment { LinksOpenAPI.fragment }

    public func start(_ platform: Platform) throws -> ModuleParts {
        let settings = try LinksSettings(platform.settings)
        let service = LinksService(platform: platform, settings: settings)
        let routes = RouteCollection(context: ApusRequestContext.self)
        LinkRoutes(service: service).add(to: routes)
        let publicRoutes = RouteCollection(context: ApusRequestContext.self)
        RedirectRoute(
            service: service,
            clientAddress: try ClientAddress(trustedProxies: platform.configuration.trustedProxies),
            countryHeader: settings.countryHeader
        ).add(to: publicRoutes)
        return ModuleParts(
            routes: routes,
            publicRoutes: publicRoutes,
            services: [service.clicks],
            eventConsumers: [LinkOwnerEvents.consumer(service: service)]
        )
    }
}
