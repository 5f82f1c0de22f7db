public import Foundation
public import SQLKit
import Synchronization

/// A module's view of one database transaction: its SQL, plus the events it emits, the jobs it
/// enqueues and the cache keys it invalidates, all committed together. What must happen after the
/// commit (announcing events, waking job workers, dropping cached copies on every node, the bus
/// messages it publishes and the effects outside the database it defers) happens in one place,
/// ``Platform/transaction(_:)``, and only if the transaction committed.
public final class Transaction: Sendable {
    /// The transaction's connection: every statement through it is part of the transaction.
    public let sql: any SQLDatabase
    private let outbox: EventOutbox
    private let jobs: JobQueue
    private let clock: @Sendable () -> Date
    private let pending = Mutex(AfterCommit())
    private let holds: CacheHolds

    /// `holds` gets the cache keys the transaction invalidates, held until its runner has applied
    /// the invalidations after the commit (or seen it roll back) and releases them.
    init(sql: any SQLDatabase, outbox: EventOutbox, jobs: JobQueue, holds: CacheHolds) {
        self.sql = sql
        self.outbox = outbox
        self.jobs = jobs
        self.holds = holds
        // The queue reads the platform's clock.
        self.clock = jobs.now
    }

    /// The time now, on the platform's clock (``Platform/now``).
    public func now() -> Date { clock() }

    /// Writes `event` to the outbox; consumers get it once the transaction commits.
    public func emit(_ event: NewEvent) async throws {
        try await outbox.append([event], on: sql)
        pending.withLock { $0.announceEvents = true }
    }

    /// Writes an event whose payload is `value` as JSON, carrying `owner`'s data (see
    /// ``NewEvent/owner``).
    public func emit(_ type: String, aggregate: String, json value: some Encodable, owner: String? = nil) async throws {
        try await emit(try NewEvent(type: type, aggregate: aggregate, json: value, owner: owner))
    }

    /// Puts `job` on the queue; workers are woken once the transaction commits. Returns its id
    /// (an existing job's, when its idempotency key was used before).
    @discardableResult
    public func enqueue(_ job: NewJob) async throws -> Int64 {
        try await enqueue([job])[0]
    }

    /// Puts `jobs` on the queue, in order; returns their ids.
    @discardableResult
    public func enqueue(_ jobs: [NewJob]) async throws -> [Int64] {
        let ids = try await self.jobs.enqueue(jobs, on: sql)
        pending.withLock { $0.wakeWorkers = true }
        return ids
    }

    /// Puts the dead job `id` back on the queue with fresh attempts; `false` when it is not dead.
    /// Workers are woken once the transaction commits.
    public func replayJob(id: Int64) async throws -> Bool {
        let replayed = try await JobQueue.replay(id: id, at: jobs.now(), on: sql)
        if replayed { pending.withLock { $0.wakeWorkers = true } }
        return replayed
    }

    /// Drops `key` from `cache` on every node once the transaction commits. On this node, `key`
    /// is read from the database, not the cache, from now until the transaction has ended.
    public func invalidate<Key, Value>(_ cache: BusInvalidatedCache<Key, Value>, _ key: Key) {
        holds.hold(cache, key)
        pending.withLock { $0.invalidations.append(CacheKey(cache: cache.name, key: key.description)) }
    }

    /// Sends `message` on the bus `channel` to every node once the transaction commits (never if
    /// it rolls back). Throws at once, here, when the message is larger than a bus carries.
    public func publish(_ channel: String, _ message: String) throws(BusPayloadTooLarge) {
        try BusPayloadTooLarge.check(message, on: channel)
        pending.withLock { $0.publications.append(Publication(channel: channel, message: message)) }
    }

    /// Runs `action` once the transaction has committed, and never if it rolls back: for an
    /// irreversible effect outside the database (removing a file's bytes, calling out). A failure
    /// of `action` is logged and counted (`apus_after_commit_failures_total`); the change it
    /// follows stays committed.
    public func afterCommit(_ action: @escaping @Sendable () async throws -> Void) {
        pending.withLock { $0.actions.append(action) }
    }

    /// What the commit must be followed by.
    var effects: AfterCommit { pending.withLock { $0 } }

    /// Where the effects asked for so far end, to return to with ``discardEffects(since:)``.
    func effectsMark() -> AfterCommit { pending.withLock { $0 } }

    /// Forgets the effects asked for since `mark` (a savepoint was rolled back to there).
    func discardEffects(since mark: AfterCommit) {
        pending.withLock { $0 = mark }
    }
}

/// A bus message a transaction sends once it commits.
struct Publication: Sendable {
    var channel: String
    var message: String
}

/// The effects of a committed transaction, carried out by the platform.
struct AfterCommit: Sendable {
    var announceEvents = false
    var wakeWorkers = false
    var invalidations: [CacheKey] = []
    var publications: [Publication] = []
    var actions: [@Sendable () async throws -> Void] = []

    var isEmpty: Bool { !announceEvents && !wakeWorkers && invalidations.isEmpty && publications.isEmpty && actions.isEmpty }
}
