@testable import ApusCore
import ApusTesting
import Foundation
import SQLKit
import Testing

@Suite struct JobQueueTests {
    @Test(arguments: DatabaseEngine.allCases)
    func workersRunEveryJobOnceAndADuplicateKeyIsANoOp(engine: DatabaseEngine) async throws {
        try await JobHarness.with(engine) { harness in
            let seen = Seen<String>()
            let first = try await harness.queue.enqueue(NewJob(kind: "test.echo", payload: "a", idempotencyKey: "k1"))
            let again = try await harness.queue.enqueue(NewJob(kind: "test.echo", payload: "changed", idempotencyKey: "k1"))
            #expect(first == again)
            try await harness.queue.enqueue((0..<200).map { NewJob(kind: "test.echo", payload: "job \($0)") })
            let worker = harness.worker([JobHandler(kind: "test.echo") { job in await seen.append(job.payload) }])
            try await harness.running([worker]) {
                try await expectEventually { await seen.count >= 201 }
                try await expectEventually { try await harness.state(first) == .completed }
            }
            let payloads = await seen.values
            #expect(payloads.count == 201)
            #expect(Set(payloads).count == 201)
            #expect(payloads.contains("a") && !payloads.contains("changed"))
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aFailingJobRetriesWithBackoffThenIsDeadLetteredWithItsHistoryAndCanBeReplayed(engine: DatabaseEngine) async throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "receiver refused" } }
        try await JobHarness.with(engine, settings: JobHarness.fast { $0.maxAttempts = 3 }) { harness in
            let healthy = Seen<Bool>()
            let attempts = Seen<Int>()
            let id = try await harness.queue.enqueue(NewJob(kind: "test.flaky"))
            let handler = JobHandler(kind: "test.flaky") { job in
                await attempts.append(job.attempt)
                guard await healthy.count > 0 else { throw Refused() }
            }
            try await harness.running([harness.worker([handler])]) {
                try await expectEventually { try await harness.state(id) == .dead }
                let dead = try #require(try await harness.queue.job(id: id))
                #expect(dead.attempts == 3)
                #expect(dead.errors.map(\.attempt) == [1, 2, 3])
                #expect(dead.errors.allSatisfy { $0.error == "receiver refused" })
                #expect(dead.lastError == "receiver refused")
                #expect(try await harness.queue.jobs(state: .dead, limit: 10).map(\.id) == [id])
                await healthy.append(true)
                #expect(try await harness.queue.replay(id: id))
                try await expectEventually { try await harness.state(id) == .completed }
                #expect(try await harness.queue.replay(id: id) == false)
            }
            #expect(await attempts.values == [1, 2, 3, 1])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aRetryAfterTheHandlerReportsIsHonoured(engine: DatabaseEngine) async throws {
        try await JobHarness.with(engine, settings: JobHarness.fast { $0.backoffCapMilliseconds = 60_000 }) { harness in
            let id = try await harness.queue.enqueue(NewJob(kind: "test.later"))
            let claimed = try await harness.queue.claim(kinds: ["test.later"], limit: 5)
            #expect(claimed.map(\.id) == [id])
            let before = Date()
            #expect(try await harness.queue.fail(claimed[0], error: JobFailure.retry(after: 30, reason: "429 from the provider")) == .retried)
            let job = try #require(try await harness.queue.job(id: id))
            let runAt = try #require(Timestamp.parse(job.runAt))
            #expect(runAt.timeIntervalSince(before) >= 29)
            #expect(job.state == .available)
            #expect(try await harness.queue.claim(kinds: ["test.later"], limit: 5).isEmpty)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPermanentFailureDeadLettersAtOnce(engine: DatabaseEngine) async throws {
        try await JobHarness.with(engine) { harness in
            let id = try await harness.queue.enqueue(NewJob(kind: "test.gone"))
            let claimed = try await harness.queue.claim(kinds: ["test.gone"], limit: 1)
            #expect(try await harness.queue.fail(claimed[0], error: JobFailure.permanent("410 Gone")) == .dead)
            #expect(try await harness.state(id) == .dead)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func theJobsOfANodeThatDiedRunAgainWhenTheirLeaseLapses(engine: DatabaseEngine) async throws {
        try await JobHarness.with(engine, settings: JobHarness.fast { $0.leaseSeconds = 1 }) { harness in
            let ids = try await harness.queue.enqueue((0..<5).map { NewJob(kind: "test.lease", payload: "\($0)") })
            let dead = harness.secondNode()
            #expect(try await dead.claim(kinds: ["test.lease"], limit: 10).count == 5)
            // The claiming node is gone: no heartbeat, no completion. Nobody else may take them yet.
            #expect(try await harness.queue.claim(kinds: ["test.lease"], limit: 10).isEmpty)
            harness.clock.advance(by: 1.1)
            #expect(try await harness.queue.recoverExpiredLeases() == 5)
            let retaken = try await harness.queue.claim(kinds: ["test.lease"], limit: 10)
            #expect(Set(retaken.map(\.id)) == Set(ids))
            #expect(retaken.allSatisfy { $0.attempt == 2 })
            // The old node's late completion does not count: the lease is not its own any more.
            try await dead.complete(ids)
            #expect(try await harness.state(ids[0]) == .running)
            try await harness.queue.complete(ids)
            #expect(try await harness.state(ids[0]) == .completed)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aGracefulShutdownHandsRunningJobsBack(engine: DatabaseEngine) async throws {
        try await JobHarness.with(engine) { harness in
            let started = Seen<Int64>()
            let id = try await harness.queue.enqueue(NewJob(kind: "test.slow"))
            let handler = JobHandler(kind: "test.slow") { job in
                await started.append(job.id)
                try await Task.sleep(for: .seconds(60))
            }
            try await harness.running([harness.worker([handler])]) {
                try await expectEventually { await started.count == 1 }
                #expect(try await harness.state(id) == .running)
            }
            let job = try #require(try await harness.queue.job(id: id))
            #expect(job.state == .available)
            #expect(job.attempts == 0)
            #expect(job.errors.isEmpty)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func twoNodesClaimingTogetherNeverShareAJob(engine: DatabaseEngine) async throws {
        try await JobHarness.with(engine) { harness in
            try await harness.queue.enqueue((0..<300).map { NewJob(kind: "test.split", payload: "\($0)") })
            let other = harness.secondNode()
            let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for queue in [harness.queue, other, harness.queue, other] {
                    group.addTask {
                        var mine: [Int64] = []
                        while true {
                            let batch = try await queue.claim(kinds: ["test.split"], limit: 7)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            #expect(claims.count == 300)
            #expect(Set(claims).count == 300)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aFreeSlotIsRefilledWhileLongJobsHoldTheOthers(engine: DatabaseEngine) async throws {
        try await JobHarness.with(engine, settings: JobHarness.fast { $0.concurrency = 4 }) { harness in
            let finished = Seen<String>()
            let release = Seen<Bool>()
            let slow = JobHandler(kind: "test.slow") { _ in
                while await release.count == 0 { try await Task.sleep(for: .milliseconds(20)) }
                await finished.append("slow")
            }
            let quick = JobHandler(kind: "test.quick") { _ in await finished.append("quick") }
            try await harness.running([harness.worker([slow, quick])]) {
                _ = try await harness.queue.enqueue((0..<3).map { _ in NewJob(kind: "test.slow") })
                try await expectEventually { try await harness.queue.jobs(state: .running, limit: 10).count == 3 }
                // Three of four slots stay busy: the fourth must not wait for half of them to free.
                try await harness.queue.enqueue(NewJob(kind: "test.quick"))
                try await expectEventually { await finished.values == ["quick"] }
                await release.append(true)
                try await expectEventually { await finished.count == 4 }
            }
        }
    }

    /// Two nodes check the schedule at once, every half interval, for ten intervals: the job is
    /// enqueued exactly once per interval, never twice for one run.
    @Test(arguments: DatabaseEngine.allCases)
    func aRecurringJobIsEnqueuedOncePerIntervalAcrossNodes(engine: DatabaseEngine) async throws {
        try await JobHarness.with(engine) { harness in
            let clock = TestClock()
            let schedule = RecurringJob(name: "test.tick", interval: 60, job: NewJob(kind: "test.tick"))
            let nodes = [JobScheduler(queue: harness.queue, now: clock.now), JobScheduler(queue: harness.secondNode(), now: clock.now)]
            var enqueued = 0
            for _ in 0..<20 {
                enqueued += try await withThrowingTaskGroup(of: Bool.self) { group in
                    for node in nodes { group.addTask { await node.enqueueDue([schedule]) } }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                clock.advance(by: 30)
            }
            let rows = try await harness.database.read { connection in
                try await connection.raw("SELECT count(*) AS n FROM apus_jobs WHERE kind = 'test.tick'").first()!.decode(column: "n", as: Int.self)
            }
            // Due at 0, 60, …, 540 s: ten runs in the 570 s the two nodes looked.
            #expect(enqueued == 10)
            #expect(rows == 10)
        }
    }
}
