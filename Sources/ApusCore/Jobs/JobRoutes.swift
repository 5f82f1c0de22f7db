public import Hummingbird

/// Admin views of the queue under `/v1/jobs`: the dead-letter list, one job with its failed
/// attempts, and replay.
struct JobRoutes {
    let queue: JobQueue

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let jobs = router.group("/v1/jobs").add(middleware: RequirePermission(.manageJobs))
        jobs.get { request, _ -> Page<JobRecord> in
            let limit = try request.pageLimit()
            let stateText = request.uri.queryParameters.get("state") ?? JobState.dead.rawValue
            guard let state = JobState(rawValue: stateText) else {
                throw Problem.badRequest("state must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            let before = try request.uri.queryParameters.get("cursor").map { text -> Int64 in
                guard let id = Int64(text), id > 0 else { throw Problem.badRequest("cursor is not one this API gave.") }
                return id
            }
            let kind = request.uri.queryParameters.get("kind").map { String($0) }
            if let kind, kind.contains("\u{0}") || kind.utf8.count > 200 { throw Problem.badRequest("kind is at most 200 bytes without NUL.") }
            let page = try await queue.jobs(state: state, kind: kind, before: before, limit: limit + 1)
            return Page(fetched: page, limit: limit) { String($0.id) }
        }
        jobs.get("/{id}") { _, context -> JobRecord in
            let id = try Self.id(context)
            guard let job = try await queue.job(id: id) else { throw Problem.notFound("No job \(id).") }
            return job
        }
        jobs.post("/{id}/replay") { _, context -> JobRecord in
            let id = try Self.id(context)
            guard try await queue.replay(id: id) else {
                guard try await queue.job(id: id) != nil else { throw Problem.notFound("No job \(id).") }
                throw Problem.conflict("Job \(id) is not dead; only dead jobs can be replayed.")
            }
            guard let job = try await queue.job(id: id) else { throw Problem.notFound("No job \(id).") }
            return job
        }
    }

    private static func id(_ context: ApusRequestContext) throws -> Int64 {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), id > 0 else { throw Problem.notFound("No job \(text).") }
        return id
    }
}

extension JobRecord: ResponseEncodable {}
