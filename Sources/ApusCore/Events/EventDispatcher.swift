import ApusKit
import Foundation
import Logging
import SQLKit
import ServiceLifecycle
import Synchronization

/// Delivers the outbox to each consumer at least once and in the order written, and each event to
/// a consumer's handler exactly once as far as the database is concerned: the handler's writes,
/// the receipt and the consumer's new position commit in one transaction.
///
/// On PostgreSQL the consumer's row is locked with `SKIP LOCKED`, so one node at a time delivers
/// to a consumer, and events are read in transaction order only below the oldest transaction still
/// running (`pg_snapshot_xmin`): an event whose transaction commits late is never skipped.
final class EventDispatcher: Service, Sendable {
    let outbox: EventOutbox
    let consumers: [EventConsumer]
    let jobs: JobQueue
    let logger: Logger
    private let pollInterval: Duration
    private let batchSize = 200
    let afterCommit: @Sendable (AfterCommit) async -> Void
    /// Consumers known to have a position.
    private let registered = Mutex<Set<String>>([])

    init(
        outbox: EventOutbox, consumers: [EventConsumer], jobs: JobQueue, logger: Logger, pollInterval: Duration = .milliseconds(500),
        afterCommit: @escaping @Sendable (AfterCommit) async -> Void = { _ in }
    ) {
        self.afterCommit = afterCommit
        self.outbox = outbox
        self.consumers = consumers
        self.jobs = jobs
        self.logger = logger
        self.pollInterval = pollInterval
    }

    /// Delivers to every consumer in its own task, so a slow consumer never holds up another.
    func run() async throws {
        guard !consumers.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        let signals = consumers.map { _ in WakeSignal() }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await _ in await self.outbox.bus.subscribe(EventOutbox.wakeChannel) {
                        for signal in signals { signal.fire() }
                    }
                }
                for (consumer, signal) in zip(self.consumers, signals) {
                    group.addTask { await self.deliverLoop(consumer, signal: signal) }
                }
            }
        }
    }

    private func deliverLoop(_ consumer: EventConsumer, signal: WakeSignal) async {
        var failure: ConsumerFailure?
        let backoff = ExponentialBackoff(base: 0.5, cap: 60)
        while !Task.isCancelled {
            if let retryAt = failure?.retryAt, retryAt > .now {
                await signal.wait(timeout: retryAt - .now)
                continue
            }
            do {
                // After a failure, event by event, to find the one that fails; once it has had
                // its attempts it goes to the dead-letter list and the rest flow again.
                let bury = failure.flatMap { $0.exhausted(after: jobs.settings.maxAttempts) }
                let delivered = try await deliver(to: consumer, isolating: failure != nil, bury: bury)
                failure = nil
                if delivered > 0 {
                    await jobs.wakeWorkers()
                } else {
                    await signal.wait(timeout: pollInterval)
                }
            } catch {
                if Task.isCancelled { return }
                var next = failure ?? ConsumerFailure()
                next.record(error)
                let delay = next.exhausted(after: jobs.settings.maxAttempts) != nil ? 0 : backoff.delay(attempt: next.rounds)
                next.retryAt = .now + .seconds(delay)
                failure = next
                logger.error("event consumer failed; retrying", metadata: [
                    "consumer": "\(consumer.name)", "attempt": "\(next.rounds)", "event": "\(next.event.map(String.init) ?? "?")", "error": "\(error)",
                ])
            }
        }
    }

    /// Delivers the next batch to `consumer`; returns how many events it read (0: none waiting).
    ///
    /// `isolating` runs each event's handler under a savepoint, so the events before a failing one
    /// commit and the failure names its event (``EventHandlingFailure``). `bury` names an event
    /// that has had its attempts: it is filed as a dead `apus.events.redeliver` job instead of
    /// being handled, so replaying that job delivers it later.
    func deliver(to consumer: EventConsumer, isolating: Bool = false, bury: BuriedEvent? = nil) async throws -> Int {
        let database = outbox.database
        let postgres = database.engine == .postgres
        if !registered.withLock({ $0.contains(consumer.name) }) {
            try await register(consumer)
            registered.withLock { _ = $0.insert(consumer.name) }
        }
        let holds = CacheHolds()
        defer { holds.release() }
        let outcome = try await database.withTransaction { connection -> DeliveryOutcome in
            let lock: SQLQueryString = postgres ? " FOR UPDATE SKIP LOCKED" : ""
            guard let position = try await connection.raw("""
                SELECT position_tx, position_id FROM apus_event_consumers WHERE name = \(bind: consumer.name)\(lock)
                """).first()
            else { return DeliveryOutcome(read: 0) }  // another node is delivering to it
            let positionTx = try position.decode(column: "position_tx", as: String.self)
            let positionID = try position.decode(column: "position_id", as: Int64.self)
            // Ordered by the table's xid8 column, not the select list's text copy of it: in text order
            // "1000" sorts before "999", and a batch would jump past whole transactions.
            let rows =
                postgres
                ? try await connection.raw("""
                    SELECT id, tx::text AS tx, type, aggregate, payload, occurred_at, owner_id FROM apus_events
                    WHERE (tx, id) > (\(bind: positionTx)::xid8, \(bind: positionID)) AND tx < pg_snapshot_xmin(pg_current_snapshot())
                    ORDER BY apus_events.tx, apus_events.id LIMIT \(bind: self.batchSize)
                    """).all()
                : try await connection.raw("""
                    SELECT id, '0' AS tx, type, aggregate, payload, occurred_at, owner_id FROM apus_events
                    WHERE id > \(bind: positionID) ORDER BY id LIMIT \(bind: self.batchSize)
                    """).all()
            guard !rows.isEmpty else { return DeliveryOutcome(read: 0) }
            let transaction = Transaction(sql: connection, outbox: self.outbox, jobs: self.jobs, holds: holds)
            var handled = 0
            var passed: (any SQLRow)?
            var failure: EventHandlingFailure?
            for row in rows {
                let event = try Self.event(row)
                guard consumer.wants(event.type) else {
                    passed = row
                    continue
                }
                if let bury, bury.event == event.id {
                    try await self.bury(event, for: consumer, failures: bury.failures, on: connection)
                    passed = row
                    continue
                }
                // The effects a handler asked for go with its savepoint if that is rolled back.
                let mark = transaction.effectsMark()
                do {
                    if isolating { try await connection.raw("SAVEPOINT apus_event").run() }
                    if try await Self.handleOnce(event, by: consumer, in: transaction) { handled += 1 }
                    if isolating { try await connection.raw("RELEASE SAVEPOINT apus_event").run() }
                } catch where isolating {
                    try await connection.raw("ROLLBACK TO SAVEPOINT apus_event").run()
                    transaction.discardEffects(since: mark)
                    failure = EventHandlingFailure(event: event.id, underlying: error)
                    break
                }
                passed = row
            }
            if let passed {
                try await connection.raw("""
                    UPDATE apus_event_consumers SET position_tx = \(bind: try passed.decode(column: "tx", as: String.self)),
                        position_id = \(bind: try passed.decode(column: "id", as: Int64.self))
                    WHERE name = \(bind: consumer.name)
                    """).run()
            }
            if handled > 0 { self.logger.debug("events delivered", metadata: ["consumer": "\(consumer.name)", "events": "\(handled)"]) }
            return DeliveryOutcome(read: rows.count, failure: failure, effects: transaction.effects)
        }
        await afterCommit(outcome.effects)
        // Thrown once the events before it are committed.
        if let failure = outcome.failure { throw failure }
        return outcome.read
    }

    /// Gives `consumer` a position unless it has one: the outbox's head, or its start when the
    /// consumer asks for history. A consumer starts where its first node ran it; a restart, or
    /// another node, carries on from the stored position.
    func register(_ consumer: EventConsumer) async throws {
        let postgres = outbox.database.engine == .postgres
        try await outbox.database.write { connection in
            var tx = "0"
            var id: Int64 = 0
            if consumer.start == .head {
                let head =
                    postgres
                    ? try await connection.raw("SELECT tx::text AS tx, id FROM apus_events ORDER BY tx DESC, id DESC LIMIT 1").first()
                    : try await connection.raw("SELECT '0' AS tx, id FROM apus_events ORDER BY id DESC LIMIT 1").first()
                if let head {
                    tx = try head.decode(column: "tx", as: String.self)
                    id = try head.decode(column: "id", as: Int64.self)
                }
            }
            try await connection.raw("""
                INSERT INTO apus_event_consumers (name, position_tx, position_id) VALUES (\(bind: consumer.name), \(bind: tx), \(bind: id))
                ON CONFLICT (name) DO NOTHING
                """).run()
        }
    }

    /// The event in `row`.
    static func event(_ row: some SQLRow) throws -> DomainEvent {
        DomainEvent(
            id: try row.decode(column: "id", as: Int64.self),
            type: try row.decode(column: "type", as: String.self),
            aggregate: try row.decode(column: "aggregate", as: String.self),
            payload: try row.decode(column: "payload", as: String.self),
            occurredAt: Date(epochMilliseconds: try row.decode(column: "occurred_at", as: Int64.self)),
            owner: try row.decode(column: "owner_id", as: String?.self)
        )
    }

    /// Runs `consumer`'s handler for `event` unless its receipt shows it ran: the receipt makes a
    /// redelivery (after a lost commit acknowledgement, or a replay) a no-op.
    /// Returns whether the handler ran.
    @discardableResult
    static func handleOnce(_ event: DomainEvent, by consumer: EventConsumer, in transaction: Transaction) async throws -> Bool {
        let first = try await transaction.sql.raw("""
            INSERT INTO apus_event_receipts (consumer, event_id, processed_at)
            VALUES (\(bind: consumer.name), \(bind: event.id), \(bind: transaction.now().epochMilliseconds))
            ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id
            """).first() != nil
        guard first else { return false }
        try await consumer.handle(event, transaction)
        return true
    }
}
