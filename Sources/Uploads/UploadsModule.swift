public import ApusCore
import Foundation
import Hummingbird

/// Resumable uploads over tus 1.0 (`/v1/uploads`), every extension included, with the bytes in
/// the platform's ``ObjectStore`` and each upload's state in the database, so any node can take
/// the next chunk; finished uploads are served as files (`/v1/files`).
public struct UploadsModule: Module {
    /// The module's name: its tables are `uploads_*`, its permissions `uploads.*`.
    public static let name = "uploads"
    public var name: String { Self.name }

    /// Creating and sending one's own uploads (any signed-in role; API keys need the scope).
    public static let write = Permission(module: name, "write", roles: Set(Role.allCases))
    /// A 413: the owner's uploads would pass `APUS_UPLOADS_QUOTA`.
    public static let quotaExceeded = ProblemType.module(name, "quota-exceeded", meaning: "The owner's uploads would pass their storage quota.")

    public init() {}

    public var migrations: [Migration] { UploadsMigrations.all }
    public var events: [EventDeclaration] { UploadsEvents.all }
    public var permissions: [Permission] { [Self.write] }
    public var openAPI: OpenAPIFragment { UploadsOpenAPI.fragment }

    public func start(_ platform: Platform) throws -> ModuleParts {
        let settings = try UploadsSettings(platform.settings)
        let service = UploadsService(platform: platform, settings: settings)
        // tus chunks stream to the object store as they arrive, so tus is outside replay (it is
        // safe to retry by offset on its own).
        let tus = RouteCollection(context: ApusRequestContext.self)
        UploadRoutes(service: service).add(to: tus)
        let routes = RouteCollection(context: ApusRequestContext.self)
        FileRoutes(service: service).add(to: routes)
        return ModuleParts(
            routes: routes,
            streamedRoutes: tus,
            services: [StoredUploadsGauge(service: service, interval: settings.sweepInterval)],
            jobHandlers: [ExpiredUploads.handler(service: service), FinalAssembly.handler(service: service), RemovedUploadBytes.handler(service: service)],
            recurringJobs: [ExpiredUploads.job(every: settings.sweepInterval)],
            eventConsumers: [UploadOwnerEvents.consumer(service: service)]
        )
    }
}
