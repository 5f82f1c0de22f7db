import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Runs this node's share of the queue: claims due jobs in batches while slots are free, runs
/// each with its handler, writes completions in batches, keeps leases alive, recovers the leases
/// of dead nodes and enqueues recurring jobs. On graceful shutdown it stops claiming, cancels the
/// running handlers and hands their jobs back.
final class JobWorker: Service, Sendable {
    private let queue: JobQueue
    private let handlers: [String: JobHandler]
    private let recurring: [RecurringJob]
    private let metrics: JobMetrics
    private let logger: Logger
    private let settings: JobSettings

    /// What finished jobs wait to have written.
    private struct Finished {
        var completed: [ClaimedJob] = []
        var released: [Int64] = []
        var running = 0
    }

    private let finished = Mutex(Finished())
    private let stopping = Atomic<Bool>(false)
    private let claimSignal = WakeSignal()
    private let completionSignal = WakeSignal()

    init(queue: JobQueue, handlers: [JobHandler], recurring: [RecurringJob], metrics: JobMetrics, logger: Logger) {
        self.queue = queue
        self.handlers = Dictionary(handlers.map { ($0.kind, $0) }) { first, _ in first }
        self.recurring = recurring
        self.metrics = metrics
        self.logger = logger
        self.settings = queue.settings
    }

    func run() async throws {
        let kinds = handlers.keys.sorted()
        let poll = Duration.milliseconds(settings.pollMilliseconds)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { helpers in
                helpers.addTask { await self.followWakes() }
                helpers.addTask { await self.writeCompletions() }
                helpers.addTask { await self.keepLeases() }
                helpers.addTask { await self.maintain() }
                await withDiscardingTaskGroup { jobs in
                    var pacing = ClaimPacing(concurrency: settings.concurrency, pollInterval: poll, now: .now)
                    // A cancelled worker stops too: its claims would fail at once, and waits return
                    // at once, so it would spin.
                    while !stopping.load(ordering: .relaxed), !Task.isCancelled {
                        let running = finished.withLock { $0.running }
                        let limit: Int
                        switch pacing.next(running: running, now: .now) {
                        case .wait(let atMost):
                            await claimSignal.wait(timeout: atMost)
                            continue
                        case .claim(let free):
                            limit = free
                        }
                        let claimed: [ClaimedJob]
                        do {
                            claimed = try await queue.claim(kinds: kinds, limit: limit)
                        } catch {
                            logger.warning("cannot claim jobs", metadata: ["error": "\(error)"])
                            await claimSignal.wait(timeout: pacing.afterFailedClaim)
                            continue
                        }
                        if let pause = pacing.claimed(claimed.count) {
                            await claimSignal.wait(timeout: pause)
                            continue
                        }
                        finished.withLock { $0.running += claimed.count }
                        for job in claimed {
                            jobs.addTask { await self.perform(job) }
                        }
                    }
                    jobs.cancelAll()
                }
                helpers.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.claimSignal.fire()
        }
        // Whatever finished or was cut short since the last write.
        await flushFinished()
    }

    /// Runs one job and files its outcome.
    private func perform(_ job: ClaimedJob) async {
        defer {
            finished.withLock { $0.running -= 1 }
            claimSignal.fire()
        }
        guard let handler = handlers[job.kind] else { return }
        do {
            try await handler.run(job)
            finished.withLock { $0.completed.append(job) }
            completionSignal.fire()
        } catch {
            if Task.isCancelled {
                // Cut short by shutdown: the attempt does not count.
                finished.withLock { $0.released.append(job.id) }
                return
            }
            do {
                let outcome = try await queue.fail(job, error: error)
                metrics.record(kind: job.kind, outcome: outcome.rawValue)
                let level: Logger.Level = outcome == .dead ? .error : .warning
                logger.log(level: level, "job failed", metadata: [
                    "job": "\(job.id)", "kind": "\(job.kind)", "attempt": "\(job.attempt)", "outcome": "\(outcome.rawValue)", "error": "\(error)",
                ])
            } catch {
                // The lease runs out and another attempt follows: nothing is lost.
                logger.error("cannot record a job failure", metadata: ["job": "\(job.id)", "error": "\(error)"])
            }
        }
    }

    /// Writes completions as they gather: one statement for however many finished meanwhile.
    private func writeCompletions() async {
        while !Task.isCancelled {
            await completionSignal.wait(timeout: .seconds(1))
            if Task.isCancelled { return }
            // A write under way finishes even when shutdown cancels this loop: it carries outcomes
            // no one else holds.
            await Task { await self.flushFinished() }.value
        }
    }

    private func flushFinished() async {
        let (completed, released) = finished.withLock { state -> ([ClaimedJob], [Int64]) in
            defer {
                state.completed.removeAll(keepingCapacity: true)
                state.released.removeAll(keepingCapacity: true)
            }
            return (state.completed, state.released)
        }
        if !completed.isEmpty {
            do {
                for start in stride(from: 0, to: completed.count, by: 1000) {
                    try await queue.complete(completed[start..<min(start + 1000, completed.count)].map(\.id))
                }
                for (kind, count) in Dictionary(grouping: completed, by: \.kind).mapValues(\.count) {
                    metrics.record(kind: kind, outcome: "completed", count: count)
                }
            } catch {
                // Unwritten, the leases expire and the jobs run again: handlers are idempotent.
                logger.error("cannot record completed jobs", metadata: ["jobs": "\(completed.count)", "error": "\(error)"])
            }
        }
        if !released.isEmpty {
            do {
                try await queue.release(released)
                metrics.record(kind: "any", outcome: "released", count: released.count)
            } catch {
                logger.error("cannot hand jobs back", metadata: ["jobs": "\(released.count)", "error": "\(error)"])
            }
        }
    }

    /// Wake-ups from enqueues on any node.
    private func followWakes() async {
        for await _ in await queue.wakes() {
            claimSignal.fire()
        }
    }

    /// Extends the leases of running jobs well before they lapse.
    private func keepLeases() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(settings.leaseSeconds / 3))
            guard !Task.isCancelled, finished.withLock({ $0.running }) > 0 else { continue }
            do {
                try await queue.heartbeat()
            } catch {
                logger.warning("cannot extend job leases", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Each second: recurring jobs; every few seconds: lapsed leases, old jobs, depth metrics.
    private func maintain() async {
        var tick = 0
        let scheduler = JobScheduler(queue: queue)
        while !Task.isCancelled {
            do {
                if await scheduler.enqueueDue(recurring) { claimSignal.fire() }
                if tick % 5 == 0 {
                    if try await queue.recoverExpiredLeases() > 0 { claimSignal.fire() }
                    let depth = try await queue.depth()
                    metrics.update(depth: depth.counts, oldestDueAge: depth.oldestDueAge)
                }
            } catch {
                if !Task.isCancelled { logger.warning("job maintenance failed", metadata: ["error": "\(error)"]) }
            }
            tick += 1
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
