public import ApusCore
import Hummingbird
import NIOCore

/// Recommendations: interactions in, a training pipeline of jobs (implicit ALS, item kNN,
/// popularity) evaluated on each user's newest items and published past a gate, and
/// precomputed lists served from every node, with new behaviour folded in without a retrain.
public struct RecsModule: Module {
    /// The module's name: its tables are `recs_*`, its permissions `recs.*`.
    public static let name = "recs"
    public var name: String { Self.name }

    /// Recording interactions and describing items (a backend's key).
    public static let record = Permission(module: name, "record", roles: [.editor])
    /// Reading recommendations for any user or item.
    public static let serve = Permission(module: name, "serve", roles: [.editor])
    /// Training and publishing models.
    public static let train = Permission(module: name, "train", roles: [.admin])

    public init() {}

    public var migrations: [Migration] { RecsMigrations.all }
    public var events: [EventDeclaration] { RecsEvents.all }
    public var permissions: [Permission] { [Self.record, Self.serve, Self.train] }
    public var openAPI: OpenAPIFragment { RecsOpenAPI.fragment }

    public func start(_ platform: Platform) throws -> ModuleParts {
        let settings = try RecsSettings(platform.settings, cores: System.coreCount)
        let service = RecsService(platform: platform, settings: settings)
        let routes = RouteCollection(context: ApusRequestContext.self)
        RecsRoutes(service: service).add(to: routes)
        return ModuleParts(
            routes: routes,
            jobHandlers: StepJob.handlers(service: service) + [FoldIn.handler(service: service), ScheduledTraining.handler(service: service)],
            recurringJobs: settings.trainEvery.map { [ScheduledTraining.job(every: $0)] } ?? [],
            eventConsumers: MappedEvents.consumer(service: service, mappings: settings.eventMappings).map { [$0] } ?? []
        )
    }
}
