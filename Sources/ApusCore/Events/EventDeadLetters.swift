import Foundation
import SQLKit

/// A consumer's handler failed on one event (found while delivering event by event).
struct EventHandlingFailure: Error, CustomStringConvertible {
    let event: Int64
    let underlying: any Error

    var description: String { String(describing: underlying) }
}

/// An event that has had its attempts, with what each failure said.
struct BuriedEvent: Sendable {
    let event: Int64
    let failures: [String]
}

/// What one delivery transaction read, and the event that stopped it, if one did.
struct DeliveryOutcome: Sendable {
    var read: Int
    var failure: EventHandlingFailure?
    /// What the handlers asked to happen after the commit.
    var effects = AfterCommit()
}

/// How a consumer has been failing: rounds in a row, and the failures of the event found to fail.
struct ConsumerFailure {
    var rounds = 0
    var retryAt = ContinuousClock.now
    /// The event that fails, once delivering event by event has found it.
    var event: Int64?
    var eventFailures: [String] = []

    mutating func record(_ error: any Error) {
        rounds += 1
        guard let failure = error as? EventHandlingFailure else { return }
        if failure.event != event {
            event = failure.event
            eventFailures = []
        }
        eventFailures.append(String(describing: failure.underlying))
    }

    /// The event to bury, once it has failed `maxAttempts` times.
    func exhausted(after maxAttempts: Int) -> BuriedEvent? {
        guard let event, eventFailures.count >= maxAttempts else { return nil }
        return BuriedEvent(event: event, failures: eventFailures)
    }
}

/// A poison event must not hold up every later event of its consumer: after its attempts it
/// moves to the job queue's dead-letter list as an `apus.events.redeliver` job, and replaying
/// that job (`POST /v1/jobs/{id}/replay`) hands the event to the consumer again. Events of the
/// same aggregate written after it are delivered meanwhile: order gives way to progress.
extension EventDispatcher {
    static let redeliverKind = "apus.events.redeliver"

    private struct Redelivery: Codable {
        var consumer: String
        var eventID: Int64
        var eventType: String
        var aggregate: String
    }

    /// Files `event` as a dead redelivery job, in the transaction that moves the consumer past it.
    func bury(_ event: DomainEvent, for consumer: EventConsumer, failures: [String], on connection: any SQLDatabase) async throws {
        let redelivery = Redelivery(consumer: consumer.name, eventID: event.id, eventType: event.type, aggregate: event.aggregate)
        let payload = String(decoding: try JSONEncoder().encode(redelivery), as: UTF8.self)
        let id = try await jobs.bury(NewJob(kind: Self.redeliverKind, payload: payload), failures: failures, on: connection)
        logger.error("event dead-lettered after its attempts", metadata: [
            "consumer": "\(consumer.name)", "event": "\(event.id)", "type": "\(event.type)", "job": "\(id.map(String.init) ?? "?")",
        ])
    }

    /// Runs replayed redelivery jobs: the event goes to its consumer once, as a normal delivery would.
    var redeliveryHandler: JobHandler {
        JobHandler(kind: Self.redeliverKind) { [consumers, outbox, jobs, afterCommit] job in
            let redelivery = try JSONDecoder().decode(Redelivery.self, from: Data(job.payload.utf8))
            guard let consumer = consumers.first(where: { $0.name == redelivery.consumer }) else {
                throw JobFailure.permanent("no event consumer named '\(redelivery.consumer)' runs on this node")
            }
            let holds = CacheHolds()
            defer { holds.release() }
            let effects = try await outbox.database.withTransaction { connection in
                guard let row = try await connection.raw("""
                    SELECT id, type, aggregate, payload, occurred_at, owner_id FROM apus_events WHERE id = \(bind: redelivery.eventID)
                    """).first()
                else { throw JobFailure.permanent("event \(redelivery.eventID) is no longer kept") }
                let transaction = Transaction(sql: connection, outbox: outbox, jobs: jobs, holds: holds)
                try await Self.handleOnce(try Self.event(row), by: consumer, in: transaction)
                return transaction.effects
            }
            await afterCommit(effects)
        }
    }
}
