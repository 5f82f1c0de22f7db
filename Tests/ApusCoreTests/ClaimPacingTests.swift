@testable import ApusCore
import Testing

@Suite struct ClaimPacingTests {
    /// Any fixed instant: only the offsets from it matter.
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    func pacing(concurrency: Int = 4) -> ClaimPacing {
        ClaimPacing(concurrency: concurrency, pollInterval: .seconds(1), batchingWindow: .milliseconds(50), now: start)
    }

    @Test func anIdleWorkerClaimsEverySlotAtOnce() {
        var pacing = pacing()
        #expect(pacing.next(running: 0, now: start) == .claim(limit: 4))
        #expect(pacing.lastClaim == start)
    }

    @Test func halfTheSlotsFreeAreClaimedAtOnce() {
        var pacing = pacing()
        #expect(pacing.next(running: 2, now: at(1)) == .claim(limit: 2))
    }

    @Test func aClaimThatFoundJobsIsFollowedAtOnceAndOneThatFoundNoneWaitsAPollInterval() {
        var pacing = pacing()
        _ = pacing.next(running: 0, now: start)
        #expect(pacing.claimed(3) == nil)
        #expect(!pacing.foundNone)
        _ = pacing.next(running: 0, now: at(1))
        #expect(pacing.claimed(0) == .seconds(1))
        #expect(pacing.foundNone)
    }

    @Test func aSingleFreeSlotWaitsOutTheBatchingWindowThenIsRefilled() {
        var pacing = pacing()
        _ = pacing.next(running: 0, now: start)
        _ = pacing.claimed(4)
        // One long job of four finished: the slot waits a moment for others to free up.
        #expect(pacing.next(running: 3, now: at(10)) == .wait(atMost: .milliseconds(40)))
        #expect(pacing.next(running: 3, now: at(30)) == .wait(atMost: .milliseconds(20)))
        #expect(pacing.next(running: 3, now: at(50)) == .claim(limit: 1))
        #expect(pacing.lastClaim == at(50))
        // The window counts from the last claim.
        _ = pacing.claimed(1)
        #expect(pacing.next(running: 3, now: at(60)) == .wait(atMost: .milliseconds(40)))
    }

    @Test func afterAClaimFoundNothingAFreeSlotWaitsAPollIntervalNotTheBatchingWindow() {
        var pacing = pacing()
        #expect(pacing.next(running: 3, now: at(50)) == .claim(limit: 1))
        _ = pacing.claimed(0)
        #expect(pacing.next(running: 3, now: at(100)) == .wait(atMost: .milliseconds(950)))
        #expect(pacing.next(running: 3, now: at(1049)) == .wait(atMost: .milliseconds(1)))
        #expect(pacing.next(running: 3, now: at(1050)) == .claim(limit: 1))
        // Jobs found again: back to the batching window.
        _ = pacing.claimed(1)
        #expect(pacing.next(running: 3, now: at(1060)) == .wait(atMost: .milliseconds(40)))
    }

    @Test func aWakeEndsTheWaitOfAnIdleWorker() {
        var pacing = pacing()
        _ = pacing.next(running: 0, now: start)
        #expect(pacing.claimed(0) == .seconds(1))
        // Woken 10 ms into its poll interval (jobs were enqueued), the worker claims at once.
        #expect(pacing.next(running: 0, now: at(10)) == .claim(limit: 4))
    }

    @Test func aWakeWhenHalfTheSlotsFreeUpClaimsThemAtOnce() {
        var pacing = pacing()
        _ = pacing.next(running: 0, now: start)
        _ = pacing.claimed(4)
        #expect(pacing.next(running: 3, now: at(5)) == .wait(atMost: .milliseconds(45)))
        // A second job finished and its wake came 5 ms later: half the slots are free.
        #expect(pacing.next(running: 2, now: at(10)) == .claim(limit: 2))
    }

    @Test func withEverySlotBusyTheWorkerWaitsForAJobToFinish() {
        var pacing = pacing()
        _ = pacing.next(running: 0, now: start)
        _ = pacing.claimed(4)
        #expect(pacing.next(running: 4, now: at(2000)) == .wait(atMost: .seconds(1)))
        #expect(pacing.lastClaim == start)
        // The slot freed long after the last claim: no batching window left to wait.
        #expect(pacing.next(running: 3, now: at(2001)) == .claim(limit: 1))
    }

    @Test func aFailedClaimWaitsAPollIntervalAndLeavesTheWindowAlone() {
        var pacing = pacing()
        _ = pacing.next(running: 0, now: start)
        #expect(pacing.afterFailedClaim == .seconds(1))
        #expect(!pacing.foundNone)
        #expect(pacing.next(running: 3, now: at(50)) == .claim(limit: 1))
    }

    @Test func aSingleSlotWorkerClaimsWhenItsSlotIsFree() {
        var pacing = pacing(concurrency: 1)
        #expect(pacing.next(running: 1, now: at(10)) == .wait(atMost: .seconds(1)))
        #expect(pacing.next(running: 0, now: at(11)) == .claim(limit: 1))
    }
}
