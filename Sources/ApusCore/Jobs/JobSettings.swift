/// How a node runs jobs: the retry schedule, concurrency and leases (`APUS_JOBS_*`).
public struct JobSettings: Sendable, Equatable {
    /// Attempts before a job is dead-lettered (`APUS_JOBS_MAX_ATTEMPTS`).
    public var maxAttempts = 10
    /// The first retry's backoff ceiling in milliseconds (`APUS_JOBS_BACKOFF_BASE_MS`); it doubles
    /// with each attempt, with full jitter, up to `backoffCapMilliseconds`.
    public var backoffBaseMilliseconds = 1000
    /// The largest backoff ceiling in milliseconds (`APUS_JOBS_BACKOFF_CAP_MS`).
    public var backoffCapMilliseconds = 3_600_000
    /// Jobs one node runs at once (`APUS_JOBS_CONCURRENCY`).
    public var concurrency = 50
    /// How long a claimed job stays leased without a heartbeat (`APUS_JOBS_LEASE_SECONDS`).
    public var leaseSeconds = 30.0
    /// How often an idle worker looks for due jobs (`APUS_JOBS_POLL_MS`); new jobs wake it sooner.
    public var pollMilliseconds = 1000
    /// How long finished jobs are kept (`APUS_JOBS_RETENTION_SECONDS`).
    public var retentionSeconds = 24 * 3600.0

    public init() {}

    /// Reads the `APUS_JOBS_*` variables of `environment` over the defaults.
    public init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        func integer(_ name: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            guard let raw = environment[name], !raw.isEmpty else { return nil }
            guard let value = Int(raw), range.contains(value) else {
                throw .invalid(name, "'\(raw)' is not a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        if let value = try integer("APUS_JOBS_MAX_ATTEMPTS", 1...1000) { maxAttempts = value }
        if let value = try integer("APUS_JOBS_BACKOFF_BASE_MS", 1...86_400_000) { backoffBaseMilliseconds = value }
        if let value = try integer("APUS_JOBS_BACKOFF_CAP_MS", 1...604_800_000) { backoffCapMilliseconds = value }
        if let value = try integer("APUS_JOBS_CONCURRENCY", 1...10_000) { concurrency = value }
        if let value = try integer("APUS_JOBS_LEASE_SECONDS", 1...86_400) { leaseSeconds = Double(value) }
        if let value = try integer("APUS_JOBS_POLL_MS", 10...600_000) { pollMilliseconds = value }
        if let value = try integer("APUS_JOBS_RETENTION_SECONDS", 1...31_536_000) { retentionSeconds = Double(value) }
        guard backoffCapMilliseconds >= backoffBaseMilliseconds else {
            throw .invalid("APUS_JOBS_BACKOFF_CAP_MS", "must not be below APUS_JOBS_BACKOFF_BASE_MS")
        }
    }
}
