/// Runs the jobs of one kind. A handler may run more than once for one job (a node can die after
/// the work and before the completion is written), so its effects must be idempotent.
public struct JobHandler: Sendable {
    /// The kind it runs.
    public let kind: String
    /// The work. Throwing retries the job with backoff; throw ``JobFailure`` to choose how.
    public let run: @Sendable (ClaimedJob) async throws -> Void

    public init(kind: String, run: @escaping @Sendable (ClaimedJob) async throws -> Void) {
        self.kind = kind
        self.run = run
    }
}

/// Work that runs on a schedule, on one node of the cluster at a time.
public struct RecurringJob: Sendable {
    /// The schedule's name, unique in the deployment.
    public let name: String
    /// Seconds between runs.
    public let interval: Double
    /// The job each run enqueues.
    public let job: NewJob

    public init(name: String, interval: Double, job: NewJob) {
        precondition(interval > 0, "a recurring job needs a positive interval")
        self.name = name
        self.interval = interval
        self.job = job
    }
}
