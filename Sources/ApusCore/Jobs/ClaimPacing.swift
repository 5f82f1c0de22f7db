/// When the job worker claims, how many jobs, and how long it waits otherwise, with time passed in.
///
/// Claims come in batches: the worker claims every free slot when none run, when at least half
/// the slots are free, or when a slot has been free for the batching window since the last
/// claim, so long jobs do not idle the rest. After a claim found nothing the window is the poll
/// interval instead: the queue is not asked twenty times a second while long jobs run. Every wait
/// ends early on a wake (a job finished, jobs were enqueued), and the worker asks again.
struct ClaimPacing: Sendable, Equatable {
    /// What the worker does next.
    enum Step: Sendable, Equatable {
        /// Claim up to `limit` jobs now.
        case claim(limit: Int)
        /// Wait for a wake, at most this long, then ask again.
        case wait(atMost: Duration)
    }

    /// Jobs the worker runs at once.
    let concurrency: Int
    /// How long an idle worker waits between claims that find nothing.
    let pollInterval: Duration
    /// How long a free slot may wait for others to free up, so that claims come in batches.
    let batchingWindow: Duration
    /// When the last claim was made.
    private(set) var lastClaim: ContinuousClock.Instant
    /// Whether the last claim found nothing.
    private(set) var foundNone = false

    /// The pacing of a worker that starts at `now`.
    init(concurrency: Int, pollInterval: Duration, batchingWindow: Duration = .milliseconds(50), now: ContinuousClock.Instant) {
        precondition(concurrency > 0 && pollInterval > .zero && batchingWindow > .zero, "claim pacing needs positive slots and intervals")
        self.concurrency = concurrency
        self.pollInterval = pollInterval
        self.batchingWindow = batchingWindow
        self.lastClaim = now
    }

    /// What to do at `now` while `running` jobs hold their slots; a claim counts from `now`.
    mutating func next(running: Int, now: ContinuousClock.Instant) -> Step {
        let free = concurrency - running
        // With no slot free only a finishing job (a wake) changes anything.
        guard free > 0 else { return .wait(atMost: pollInterval) }
        let window = foundNone ? pollInterval : batchingWindow
        let waited = now - lastClaim
        guard running == 0 || free * 2 >= concurrency || waited >= window else { return .wait(atMost: window - waited) }
        lastClaim = now
        return .claim(limit: free)
    }

    /// Takes in that the claim found `count` jobs; returns how long to wait for a wake before
    /// asking again, or `nil` to ask again at once.
    mutating func claimed(_ count: Int) -> Duration? {
        foundNone = count == 0
        return foundNone ? pollInterval : nil
    }

    /// How long to wait for a wake after a claim failed, before asking again.
    var afterFailedClaim: Duration { pollInterval }
}
