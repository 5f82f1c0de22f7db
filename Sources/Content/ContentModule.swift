public import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// A headless CMS: content types defined through the API, entries with drafts, revisions and
/// a review workflow, scheduled publishing on the job queue, and a cached delivery API for
/// sites with SEO slugs.
public struct ContentModule: Module {
    /// The module's name: its tables are `content_*`, its permissions `content.*`.
    public static let name = "content"
    public var name: String { Self.name }

    /// Defining and changing content types (admins).
    public static let manageTypes = Permission(module: name, "types", roles: [.admin])
    /// Reading entries as staff see them, drafts included.
    public static let read = Permission(module: name, "read", roles: [.viewer, .author, .editor])
    /// Writing entries: authors their own drafts, editors any entry.
    public static let write = Permission(module: name, "write", roles: [.author, .editor])
    /// Editing anyone's entries, whatever their state.
    public static let editAny = Permission(module: name, "edit-any", roles: [.editor])
    /// Publishing, unpublishing, scheduling, archiving and deleting entries.
    public static let publish = Permission(module: name, "publish", roles: [.editor])

    public init() {}

    public var migrations: [Migration] { ContentMigrations.all }
    public var events: [EventDeclaration] { ContentEvents.all }
    public var permissions: [Permission] { [Self.manageTypes, Self.read, Self.write, Self.editAny, Self.publish] }
    public var openAPI: OpenAPIFragment { ContentOpenAPI.fragment }
    public var rootSegments: [String] { SiteRoutes.rootSegments }

    public func start(_ platform: Platform) throws -> ModuleParts {
        let settings = try ContentSettings(platform.settings)
        let service = ContentService(platform: platform, settings: settings)
        let routes = RouteCollection(context: ApusRequestContext.self)
        TypeRoutes(service: service).add(to: routes)
        SearchRoutes(service: service).add(to: routes)
        DeliveryRoutes(service: service).add(to: routes)
        EntryRoutes(service: service).add(to: routes)
        let site = RouteCollection(context: ApusRequestContext.self)
        SiteRoutes(service: service, base: platform.configuration.effectivePublicURL).add(to: site)
        return ModuleParts(
            routes: routes,
            publicRoutes: site,
            jobHandlers: [ScheduledTransition.handler(service: service), OverdueSchedules.handler(service: service)],
            recurringJobs: [OverdueSchedules.job(every: settings.overdueCheckInterval)]
        )
    }
}
