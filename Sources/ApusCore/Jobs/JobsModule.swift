import Hummingbird

/// The job queue's admin surface, a module every node runs: `/v1/jobs` (dead letters, replay).
/// Its tables are the platform's (`apus_jobs`), and its permission the platform's `jobs.manage`.
struct JobsModule: Module {
    let name = "jobs"
    let queue: JobQueue

    var permissions: [Permission] { [.manageJobs] }
    var openAPI: OpenAPIFragment { JobsOpenAPI.fragment }

    func start(_ platform: Platform) throws -> ModuleParts {
        let routes = RouteCollection(context: ApusRequestContext.self)
        JobRoutes(queue: queue).add(to: routes)
        return ModuleParts(routes: routes)
    }
}
