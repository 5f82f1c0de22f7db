@testable import ApusCore
import ApusTesting
import Foundation
import SQLKit
import Testing

/// The claim must read the due index in order on either engine, whatever the statistics say: a
/// plan that sorts every due row makes draining a backlog quadratic.
@Suite struct JobClaimPlanTests {
    @Test(arguments: DatabaseEngine.allCases)
    func claimingWalksTheDueIndexEvenBeforeStatisticsExist(engine: DatabaseEngine) async throws {
        try await JobHarness.with(engine) { harness in
            // A burst into a table the planner has never analyzed.
            for _ in 0..<20 { _ = try await harness.queue.enqueue((0..<1000).map { _ in NewJob(kind: "test.burst") }) }
            let statement = harness.queue.claimStatement(kinds: ["test.burst", "test.other"], limit: 50, at: Date())
            let plan = try await QueryPlan.of(statement, engine: engine, on: harness.database, settings: [JobQueue.orderedWalk])
            #expect(plan.contains("apus_jobs_due"), "\(plan)")
            #expect(!plan.contains("Sort") && !plan.contains("TEMP B-TREE"), "\(plan)")
            #expect(!plan.contains("Bitmap") && !plan.contains("Seq Scan"), "\(plan)")
        }
    }
}
