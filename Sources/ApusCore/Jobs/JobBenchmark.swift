import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// Measures the queue on the configured database, as `apus jobs bench` runs it: enqueues no-op
/// jobs in batches, then times one node's worker draining them through claims and completions.
public enum JobBenchmark {
    /// What one run measured.
    public struct Result: Sendable {
        public let jobs: Int
        public let enqueueSeconds: Double
        public let drainSeconds: Double
        public var enqueuedPerSecond: Double { Double(jobs) / enqueueSeconds }
        public var processedPerSecond: Double { Double(jobs) / drainSeconds }
    }

    static let kind = "apus.bench.noop"

    /// Runs `jobs` no-op jobs through `platform`'s queue (migrated beforehand) and removes them.
    public static func run(platform: Platform, jobs: Int) async throws -> Result {
        let queue = platform.jobs
        let database = platform.database
        try await database.write { try await $0.raw("DELETE FROM apus_jobs WHERE kind = \(bind: kind)").run() }
        let enqueueStart = ContinuousClock.now
        for start in stride(from: 0, to: jobs, by: 1000) {
            let batch = (start..<min(start + 1000, jobs)).map { _ in NewJob(kind: kind) }
            _ = try await database.withTransaction { try await queue.enqueue(batch, on: $0) }
        }
        let enqueueSeconds = seconds(ContinuousClock.now - enqueueStart)
        let ran = RunCount()
        let worker = JobWorker(
            queue: queue, handlers: [JobHandler(kind: kind) { _ in ran.value.add(1, ordering: .relaxed) }], recurring: [],
            metrics: JobMetrics(registry: PrometheusCollectorRegistry()), logger: platform.logger(module: "bench")
        )
        let group = ServiceGroup(configuration: .init(services: [.init(service: worker)], logger: platform.logger))
        let drainStart = ContinuousClock.now
        let drainSeconds = try await withThrowingTaskGroup(of: Double?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            // Counting in the database while the worker runs would compete with it (a scan of
            // the whole table): watch the handler's count, then wait for the last completions.
            while ran.value.load(ordering: .relaxed) < jobs {
                try await Task.sleep(for: .milliseconds(5))
            }
            while try await remaining(database) > 0 {
                try await Task.sleep(for: .milliseconds(5))
            }
            let elapsed = seconds(ContinuousClock.now - drainStart)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return elapsed
        }
        try await database.write { try await $0.raw("DELETE FROM apus_jobs WHERE kind = \(bind: kind)").run() }
        return Result(jobs: jobs, enqueueSeconds: enqueueSeconds, drainSeconds: drainSeconds)
    }

    private static func remaining(_ database: any Database) async throws -> Int {
        try await database.read { connection in
            try await connection.raw("""
                SELECT COUNT(*) AS n FROM apus_jobs WHERE kind = \(bind: kind) AND state <> 'completed'
                """).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// How many times the no-op handler ran.
    private final class RunCount: Sendable {
        let value = Atomic<Int>(0)
    }
}
