public import Foundation
import Logging
import SQLKit

/// The durable job queue in `apus_jobs`: enqueue (inside a caller's transaction if wanted),
/// claim with a lease, complete, fail with backoff, dead-letter and replay.
///
/// Claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL, so nodes never wait for each other's rows;
/// on SQLite the single writer connection serialises them.
public final class JobQueue: Sendable {
    let database: any Database
    let settings: JobSettings
    private let bus: any ClusterBus
    /// This process's name on the leases it takes (``Platform/node``).
    public let node: String
    /// The clock due times, leases and retention are read from.
    let now: @Sendable () -> Date
    private let retryPolicy: JobRetryPolicy
    static let wakeChannel = "apus.jobs"

    @_spi(Platform) public init(
        database: any Database, bus: any ClusterBus, settings: JobSettings,
        node: String = OpaqueID.make("node", at: Date()), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.node = node
        self.now = now
        self.database = database
        self.bus = bus
        self.settings = settings
        self.retryPolicy = JobRetryPolicy(settings: settings)
    }


    // MARK: Enqueueing

    /// Puts `jobs` on the queue through `connection`, so they commit with the caller's transaction.
    /// A job whose idempotency key is already queued is skipped. Returns the id of each job (the
    /// existing one for a duplicate). Call ``wakeWorkers()`` after the commit to start them at once.
    @discardableResult
    func enqueue(_ jobs: [NewJob], on connection: any SQLDatabase) async throws -> [Int64] {
        guard !jobs.isEmpty else { return [] }
        let now = self.now().epochMilliseconds
        var ids: [Int64] = []
        ids.reserveCapacity(jobs.count)
        // Keyed jobs one by one (a duplicate must report the existing id); the rest in one statement.
        let plain = jobs.filter { $0.idempotencyKey == nil }
        if !plain.isEmpty {
            for chunk in stride(from: 0, to: plain.count, by: 500).map({ plain[$0..<min($0 + 500, plain.count)] }) {
                var query = SQLQueryString("INSERT INTO apus_jobs (kind, payload, state, priority, max_attempts, run_at, created_at) VALUES ")
                for (index, job) in chunk.enumerated() {
                    if index > 0 { query.appendLiteral(", ") }
                    query.appendInterpolation(unsafeRaw: "(")
                    query.appendInterpolation(bind: job.kind)
                    query.appendLiteral(", ")
                    query.appendInterpolation(bind: job.payload)
                    query.appendLiteral(", 'available', ")
                    query.appendInterpolation(bind: job.priority)
                    query.appendLiteral(", ")
                    query.appendInterpolation(bind: job.maxAttempts ?? settings.maxAttempts)
                    query.appendLiteral(", ")
                    query.appendInterpolation(bind: job.runAt.map(\.epochMilliseconds) ?? now)
                    query.appendLiteral(", ")
                    query.appendInterpolation(bind: now)
                    query.appendLiteral(")")
                }
                query.appendLiteral(" RETURNING id")
                ids += try await connection.raw(query).all().map { try $0.decode(column: "id", as: Int64.self) }
            }
        }
        for job in jobs where job.idempotencyKey != nil {
            let inserted = try await connection.raw("""
                INSERT INTO apus_jobs (kind, payload, state, priority, max_attempts, run_at, created_at, idempotency_key)
                VALUES (\(bind: job.kind), \(bind: job.payload), 'available', \(bind: job.priority),
                        \(bind: job.maxAttempts ?? settings.maxAttempts), \(bind: job.runAt.map(\.epochMilliseconds) ?? now), \(bind: now), \(bind: job.idempotencyKey))
                ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
                """).first()
            if let inserted {
                ids.append(try inserted.decode(column: "id", as: Int64.self))
            } else if let existing = try await connection.raw("SELECT id FROM apus_jobs WHERE idempotency_key = \(bind: job.idempotencyKey)").first() {
                ids.append(try existing.decode(column: "id", as: Int64.self))
            }
        }
        return ids
    }

    /// Puts `jobs` on the queue in a transaction of its own and wakes the workers.
    @discardableResult
    func enqueue(_ jobs: [NewJob]) async throws -> [Int64] {
        let ids = try await database.withTransaction { try await self.enqueue(jobs, on: $0) }
        await wakeWorkers()
        return ids
    }

    /// Files `job` straight into the dead-letter list with the failures that put it there, for
    /// work that failed outside the queue and should be replayable like a dead job.
    @discardableResult
    func bury(_ job: NewJob, failures: [String], on connection: any SQLDatabase) async throws -> Int64? {
        let now = self.now().epochMilliseconds
        guard let id = try await connection.raw("""
            INSERT INTO apus_jobs (kind, payload, state, priority, attempts, max_attempts, run_at, last_error, created_at, finished_at)
            VALUES (\(bind: job.kind), \(bind: job.payload), 'dead', \(bind: job.priority), \(bind: failures.count),
                    \(bind: job.maxAttempts ?? settings.maxAttempts), \(bind: now), \(bind: failures.last), \(bind: now), \(bind: now))
            RETURNING id
            """).first()?.decode(column: "id", as: Int64.self)
        else { return nil }
        for (index, failure) in failures.enumerated() {
            try await connection.raw("""
                INSERT INTO apus_job_errors (job_id, attempt, failed_at, error) VALUES (\(bind: id), \(bind: index + 1), \(bind: now), \(bind: failure))
                """).run()
        }
        return id
    }

    /// Puts one job on the queue and wakes the workers; returns its id.
    @discardableResult
    func enqueue(_ job: NewJob) async throws -> Int64 {
        try await enqueue([job])[0]
    }

    /// Tells the workers of every node that jobs are waiting (best effort: they poll anyway).
    func wakeWorkers() async {
        try? await bus.publish(Self.wakeChannel, "")
    }

    /// Wake-ups from any node.
    func wakes() async -> AsyncStream<ClusterMessage> {
        await bus.subscribe(Self.wakeChannel)
    }

    // MARK: Working

    /// Leases up to `limit` due jobs of `kinds` to this node.
    func claim(kinds: [String], limit: Int) async throws -> [ClaimedJob] {
        guard !kinds.isEmpty, limit > 0 else { return [] }
        let statement = claimStatement(kinds: kinds, limit: limit, at: self.now())
        let postgres = database.engine == .postgres
        let work: @Sendable (any SQLDatabase) async throws -> [ClaimedJob] = { connection in
            if postgres { try await connection.raw(Self.orderedWalk).run() }
            return try await connection.raw(statement).all().map { row in
                ClaimedJob(
                    id: try row.decode(column: "id", as: Int64.self),
                    kind: try row.decode(column: "kind", as: String.self),
                    payload: try row.decode(column: "payload", as: String.self),
                    attempt: try row.decode(column: "attempts", as: Int.self),
                    maxAttempts: try row.decode(column: "max_attempts", as: Int.self)
                )
            }
        }
        return try await postgres ? database.withTransaction(work) : database.write(work)
    }

    /// Makes PostgreSQL walk the due index in order for the rest of the transaction. Right after a
    /// burst the statistics still describe an idle table, and the planner would rather sort every
    /// due row on each claim, which makes draining a backlog quadratic; this plan cannot depend on
    /// them.
    static let orderedWalk: SQLQueryString = """
        SELECT set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true),
               set_config('enable_seqscan', 'off', true)
        """

    /// The statement that leases due jobs of `kinds` to this node at `now`.
    func claimStatement(kinds: [String], limit: Int, at now: Date) -> SQLQueryString {
        let lock: SQLQueryString = database.engine == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let leaseUntil = now.addingTimeInterval(settings.leaseSeconds).epochMilliseconds
        return """
            UPDATE apus_jobs SET state = 'running', attempts = attempts + 1, leased_by = \(bind: node), lease_until = \(bind: leaseUntil)
            WHERE id IN (
                SELECT id FROM apus_jobs
                WHERE state = 'available' AND run_at <= \(bind: now.epochMilliseconds) AND kind IN \(SQLBind.group(kinds))
                ORDER BY priority DESC, run_at, id LIMIT \(bind: limit)\(lock)
            )
            RETURNING id, kind, payload, attempts, max_attempts
            """
    }

    /// Marks jobs this node holds as done, in one statement.
    func complete(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        let now = self.now().epochMilliseconds
        try await database.write { connection in
            try await connection.raw("""
                UPDATE apus_jobs SET state = 'completed', finished_at = \(bind: now), leased_by = NULL, lease_until = NULL
                WHERE id IN \(SQLBind.group(ids)) AND leased_by = \(bind: self.node)
                """).run()
        }
    }

    /// What became of a failed job.
    enum FailureOutcome: String, Sendable {
        case retried
        case dead
    }

    /// Records a failed attempt: back on the queue when ``JobRetryPolicy`` says so, dead-lettered
    /// otherwise.
    @discardableResult
    func fail(_ job: ClaimedJob, error: any Error) async throws -> FailureOutcome {
        let now = self.now()
        var generator = SystemRandomNumberGenerator()
        let decision = retryPolicy.decide(attempt: job.attempt, maxAttempts: job.maxAttempts, error: error, now: now, using: &generator)
        let stored = String(((error as? JobFailure)?.reason ?? String(describing: error)).prefix(2000))
        let (outcome, due): (FailureOutcome, Date) = switch decision {
        case .retry(let at): (.retried, at)
        case .deadLetter: (.dead, now)
        }
        let runAt = due.epochMilliseconds
        let finishedAt: Int64? = outcome == .dead ? now.epochMilliseconds : nil
        try await database.withTransaction { connection in
            try await connection.raw("""
                UPDATE apus_jobs SET state = \(bind: outcome == .dead ? JobState.dead.rawValue : JobState.available.rawValue),
                    run_at = \(bind: runAt), last_error = \(bind: stored), leased_by = NULL, lease_until = NULL, finished_at = \(bind: finishedAt)
                WHERE id = \(bind: job.id) AND leased_by = \(bind: self.node)
                """).run()
            try await connection.raw("""
                INSERT INTO apus_job_errors (job_id, attempt, failed_at, error)
                VALUES (\(bind: job.id), \(bind: job.attempt), \(bind: now.epochMilliseconds), \(bind: stored))
                ON CONFLICT (job_id, attempt) DO NOTHING
                """).run()
        }
        if outcome == .retried, due.timeIntervalSince(now) < Double(settings.pollMilliseconds) / 1000 { await wakeWorkers() }
        return outcome
    }

    /// Hands jobs back unrun (shutdown): their attempt does not count.
    func release(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await database.write { connection in
            try await connection.raw("""
                UPDATE apus_jobs SET state = 'available', attempts = attempts - 1, leased_by = NULL, lease_until = NULL
                WHERE id IN \(SQLBind.group(ids)) AND leased_by = \(bind: self.node) AND state = 'running'
                """).run()
        }
    }

    /// Extends the leases of every job this node runs.
    func heartbeat() async throws {
        let leaseUntil = self.now().addingTimeInterval(settings.leaseSeconds).epochMilliseconds
        try await database.write { connection in
            try await connection.raw("""
                UPDATE apus_jobs SET lease_until = \(bind: leaseUntil) WHERE leased_by = \(bind: self.node) AND state = 'running'
                """).run()
        }
    }

    /// Puts jobs whose lease ran out (their node died) back on the queue, dead-letters those out of
    /// attempts, and deletes completed jobs past retention. Returns how many leases were recovered.
    @discardableResult
    func recoverExpiredLeases() async throws -> Int {
        let now = self.now().epochMilliseconds
        let cutoff = self.now().addingTimeInterval(-settings.retentionSeconds).epochMilliseconds
        return try await database.write { connection in
            let recovered = try await connection.raw("""
                UPDATE apus_jobs SET
                    state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'available' END,
                    finished_at = CASE WHEN attempts >= max_attempts THEN \(bind: now) ELSE NULL END,
                    last_error = 'lease expired: the node running it stopped', leased_by = NULL, lease_until = NULL
                WHERE state = 'running' AND lease_until < \(bind: now)
                RETURNING id
                """).all().count
            try await connection.raw("DELETE FROM apus_jobs WHERE state = 'completed' AND finished_at < \(bind: cutoff)").run()
            return recovered
        }
    }

    // MARK: Dead letters and inspection

    /// Puts a dead job back on the queue with fresh attempts; `false` when it is not dead.
    public func replay(id: Int64) async throws -> Bool {
        let replayed = try await database.write { [now] connection in try await Self.replay(id: id, at: now(), on: connection) }
        if replayed { await wakeWorkers() }
        return replayed
    }

    /// ``replay(id:)`` inside the caller's transaction (the caller wakes the workers after it commits).
    static func replay(id: Int64, at now: Date, on connection: any SQLDatabase) async throws -> Bool {
        try await connection.raw("""
            UPDATE apus_jobs SET state = 'available', attempts = 0, run_at = \(bind: now.epochMilliseconds), finished_at = NULL
            WHERE id = \(bind: id) AND state = 'dead' RETURNING id
            """).first() != nil
    }

    /// One job with its failed attempts.
    public func job(id: Int64) async throws -> JobRecord? {
        try await database.read { connection in
            guard let row = try await connection.raw("SELECT * FROM apus_jobs WHERE id = \(bind: id)").first() else { return nil }
            let errors = try await connection.raw("""
                SELECT attempt, failed_at, error FROM apus_job_errors WHERE job_id = \(bind: id) ORDER BY attempt
                """).all().map { row in
                JobRecord.AttemptError(
                    attempt: try row.decode(column: "attempt", as: Int.self),
                    at: Timestamp.format(Date(epochMilliseconds: try row.decode(column: "failed_at", as: Int64.self))),
                    error: try row.decode(column: "error", as: String.self)
                )
            }
            return try Self.record(row, errors: errors)
        }
    }

    /// Jobs in `state` (of `kind` if given), newest first, after the cursor `before` (an id).
    public func jobs(state: JobState, kind: String? = nil, before: Int64? = nil, limit: Int) async throws -> [JobRecord] {
        try await database.read { connection in
            var query = SQLQueryString("SELECT * FROM apus_jobs WHERE state = \(bind: state.rawValue)")
            if let kind { query.appendInterpolation(unsafeRaw: " AND kind = "); query.appendInterpolation(bind: kind) }
            if let before { query.appendInterpolation(unsafeRaw: " AND id < "); query.appendInterpolation(bind: before) }
            query.appendInterpolation(unsafeRaw: " ORDER BY id DESC LIMIT ")
            query.appendInterpolation(bind: limit)
            return try await connection.raw(query).all().map { try Self.record($0, errors: []) }
        }
    }

    private static func record(_ row: any SQLRow, errors: [JobRecord.AttemptError]) throws -> JobRecord {
        JobRecord(
            id: try row.decode(column: "id", as: Int64.self),
            kind: try row.decode(column: "kind", as: String.self),
            payload: try row.decode(column: "payload", as: String.self),
            state: JobState(rawValue: try row.decode(column: "state", as: String.self)) ?? .available,
            priority: try row.decode(column: "priority", as: Int.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            maxAttempts: try row.decode(column: "max_attempts", as: Int.self),
            runAt: Timestamp.format(Date(epochMilliseconds: try row.decode(column: "run_at", as: Int64.self))),
            lastError: try row.decode(column: "last_error", as: String?.self),
            idempotencyKey: try row.decode(column: "idempotency_key", as: String?.self),
            createdAt: Timestamp.format(Date(epochMilliseconds: try row.decode(column: "created_at", as: Int64.self))),
            finishedAt: try row.decode(column: "finished_at", as: Int64?.self).map { Timestamp.format(Date(epochMilliseconds: $0)) },
            errors: errors
        )
    }

    /// Jobs per kind and state, except completed ones, and the age of the oldest due job.
    func depth() async throws -> (counts: [String: [JobState: Int]], oldestDueAge: Double) {
        let now = self.now().epochMilliseconds
        return try await database.read { connection in
            var counts: [String: [JobState: Int]] = [:]
            for row in try await connection.raw("""
                SELECT kind, state, COUNT(*) AS n FROM apus_jobs WHERE state <> 'completed' GROUP BY kind, state
                """).all() {
                guard let state = JobState(rawValue: try row.decode(column: "state", as: String.self)) else { continue }
                counts[try row.decode(column: "kind", as: String.self), default: [:]][state] = try row.decode(column: "n", as: Int.self)
            }
            let oldest = try await connection.raw("""
                SELECT MIN(run_at) AS oldest FROM apus_jobs WHERE state = 'available' AND run_at <= \(bind: now)
                """).first().flatMap { try $0.decode(column: "oldest", as: Int64?.self) }
            return (counts, oldest.map { Double(now - $0) / 1000 } ?? 0)
        }
    }
}
