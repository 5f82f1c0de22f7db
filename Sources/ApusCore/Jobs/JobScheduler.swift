import Foundation
import SQLKit

/// Enqueues recurring jobs when due. Each schedule's next run sits in `apus_job_schedules`; a
/// conditional update moves it on, so one node wins each run, and on PostgreSQL an advisory lock
/// keeps the other nodes from even trying while one holds it.
struct JobScheduler: Sendable {
    let queue: JobQueue
    /// What time it is for the schedules: the queue's clock, the platform's.
    let now: @Sendable () -> Date

    init(queue: JobQueue, now: (@Sendable () -> Date)? = nil) {
        self.queue = queue
        self.now = now ?? queue.now
    }

    /// Enqueues every due schedule once; returns whether any was enqueued.
    func enqueueDue(_ schedules: [RecurringJob]) async -> Bool {
        var enqueued = false
        for schedule in schedules {
            do {
                if try await enqueueIfDue(schedule) { enqueued = true }
            } catch {
                // Tried again next second.
                continue
            }
        }
        return enqueued
    }

    private func enqueueIfDue(_ schedule: RecurringJob) async throws -> Bool {
        let now = self.now().epochMilliseconds
        let database = queue.database
        return try await database.withTransaction { connection in
            if database.engine == .postgres {
                let locked = try await connection.raw("""
                    SELECT pg_try_advisory_xact_lock(hashtext(\(bind: "apus.schedule." + schedule.name))) AS locked
                    """).first()?.decode(column: "locked", as: Bool.self) ?? false
                guard locked else { return false }
            }
            try await connection.raw("""
                INSERT INTO apus_job_schedules (name, next_run_at) VALUES (\(bind: schedule.name), \(bind: now))
                ON CONFLICT (name) DO NOTHING
                """).run()
            guard let due = try await connection.raw("""
                SELECT next_run_at FROM apus_job_schedules WHERE name = \(bind: schedule.name)
                """).first()?.decode(column: "next_run_at", as: Int64.self), due <= now
            else { return false }
            // Runs missed while every node was down collapse into one.
            let interval = Int64(schedule.interval * 1000)
            let next = max(due + interval, now + 1)
            let moved = try await connection.raw("""
                UPDATE apus_job_schedules SET next_run_at = \(bind: next)
                WHERE name = \(bind: schedule.name) AND next_run_at = \(bind: due) RETURNING name
                """).first() != nil
            guard moved else { return false }
            var job = schedule.job
            job.idempotencyKey = "schedule:\(schedule.name):\(due)"
            try await queue.enqueue([job], on: connection)
            return true
        }
    }
}
