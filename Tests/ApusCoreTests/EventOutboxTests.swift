@testable import ApusCore
import ApusTesting
import Foundation
import SQLKit
import Testing

@Suite struct EventOutboxTests {
    /// A consumer that writes each event's id to `t_effects` in the delivering transaction.
    static func recorder(name: String = "test.recorder", prefixes: [String] = [], failFirst: Seen<Int64>? = nil) -> EventConsumer {
        EventConsumer(name: name, typePrefixes: prefixes, start: .history) { event, transaction in
            try await transaction.sql.raw("INSERT INTO t_effects (consumer, event_id, aggregate) VALUES (\(bind: name), \(bind: event.id), \(bind: event.aggregate))").run()
            if let failFirst, await failFirst.count == 0 {
                await failFirst.append(event.id)
                struct Flaky: Error {}
                throw Flaky()
            }
        }
    }

    static func effects(_ harness: JobHarness, consumer: String = "test.recorder") async throws -> [String] {
        try await harness.database.read { connection in
            try await connection.raw("SELECT aggregate FROM t_effects WHERE consumer = \(bind: consumer) ORDER BY event_id").all()
                .map { try $0.decode(column: "aggregate", as: String.self) }
        }
    }

    static func withOutbox(_ engine: DatabaseEngine, _ body: @Sendable (JobHarness) async throws -> Void) async throws {
        try await JobHarness.with(engine) { harness in
            try await harness.database.write {
                try await $0.raw("CREATE TABLE t_effects (consumer TEXT NOT NULL, event_id BIGINT NOT NULL, aggregate TEXT NOT NULL)").run()
            }
            try await body(harness)
        }
    }

    func append(_ harness: JobHarness, _ aggregates: [String], type: String = "test.thing.changed") async throws {
        try await harness.database.withTransaction { connection in
            try await harness.outbox.append(aggregates.map { NewEvent(type: type, aggregate: $0, payload: "{}") }, on: connection)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func committedEventsReachTheConsumerInOrderAndRolledBackOnesNever(engine: DatabaseEngine) async throws {
        try await Self.withOutbox(engine) { harness in
            try await append(harness, ["a1", "a2"])
            struct Abort: Error {}
            _ = try? await harness.database.withTransaction { connection in
                try await harness.outbox.append([NewEvent(type: "test.thing.changed", aggregate: "lost", payload: "{}")], on: connection)
                throw Abort()
            }
            try await append(harness, ["a3"])
            try await append(harness, ["other"], type: "test.elsewhere.changed")
            try await harness.running([harness.dispatcher([Self.recorder(prefixes: ["test.thing."])])]) {
                try await expectEventually { try await Self.effects(harness).count >= 3 }
                try await self.append(harness, ["a4"])
                await harness.outbox.announce()
                try await expectEventually { try await Self.effects(harness).count >= 4 }
            }
            #expect(try await Self.effects(harness) == ["a1", "a2", "a3", "a4"])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aFailingConsumerGetsTheEventAgainAndItsEffectsHappenOnce(engine: DatabaseEngine) async throws {
        try await Self.withOutbox(engine) { harness in
            try await append(harness, ["b1", "b2", "b3"])
            let failures = Seen<Int64>()
            try await harness.running([harness.dispatcher([Self.recorder(failFirst: failures)])]) {
                try await expectEventually { try await Self.effects(harness).count >= 3 }
            }
            #expect(await failures.count == 1)
            // The failed delivery's write was rolled back with it: each effect is there once.
            #expect(try await Self.effects(harness) == ["b1", "b2", "b3"])
            let receipts = try await harness.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM apus_event_receipts").first()?.decode(column: "n", as: Int.self) }
            #expect(receipts == 3)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func twoDispatchersDeliverEachEventOnce(engine: DatabaseEngine) async throws {
        try await Self.withOutbox(engine) { harness in
            for batch in 0..<10 { try await append(harness, (0..<10).map { "e\(batch)-\($0)" }) }
            let consumer = Self.recorder()
            try await harness.running([harness.dispatcher([consumer]), harness.dispatcher([consumer])]) {
                try await expectEventually { try await Self.effects(harness).count >= 100 }
            }
            // The dispatchers have stopped, each after finishing what it had claimed: a
            // duplicate delivery would be among the effects by now.
            let effects = try await Self.effects(harness)
            #expect(effects.count == 100)
            #expect(Set(effects).count == 100)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPoisonEventIsDeadLetteredTheRestFlowAndAReplayDeliversIt(engine: DatabaseEngine) async throws {
        try await Self.withOutbox(engine) { harness in
            try await append(harness, ["c1", "poison", "c2"])
            let cured = Seen<Bool>()
            struct Poisoned: Error, CustomStringConvertible { var description: String { "cannot digest this" } }
            let consumer = EventConsumer(name: "test.recorder", start: .history) { event, transaction in
                try await transaction.sql.raw("INSERT INTO t_effects (consumer, event_id, aggregate) VALUES ('test.recorder', \(bind: event.id), \(bind: event.aggregate))").run()
                if event.aggregate == "poison", await cured.count == 0 { throw Poisoned() }
            }
            let dispatcher = harness.dispatcher([consumer])
            try await harness.running([dispatcher, harness.worker([dispatcher.redeliveryHandler])]) {
                // The events around the poison one get through; it goes to the dead-letter list.
                try await expectEventually(15) { try await Self.effects(harness) == ["c1", "c2"] }
                try await expectEventually { try await !harness.queue.jobs(state: .dead, limit: 10).isEmpty }
                let dead = try #require(try await harness.queue.jobs(state: .dead, limit: 10).first)
                #expect(dead.kind == "apus.events.redeliver")
                #expect(dead.payload.contains("\"consumer\":\"test.recorder\""))
                let record = try #require(try await harness.queue.job(id: dead.id))
                #expect(record.errors.count == harness.queue.settings.maxAttempts)
                #expect(record.errors.allSatisfy { $0.error == "cannot digest this" })
                // Once the consumer can take it, replaying the job delivers it, once.
                await cured.append(true)
                #expect(try await harness.queue.replay(id: dead.id))
                try await expectEventually { try await Self.effects(harness).count == 3 }
                try await expectEventually { try await harness.queue.job(id: dead.id)?.state == .completed }
                #expect(try await harness.queue.replay(id: dead.id) == false)
            }
            // The failed attempts' writes were rolled back with them.
            #expect(try await Self.effects(harness) == ["c1", "poison", "c2"])
        }
    }

    /// PostgreSQL hands out ids before commit: an event whose transaction commits after a later
    /// one's must still be delivered, and first.
    @Test func anEventWhoseTransactionCommitsLateIsNotSkipped() async throws {
        try await Self.withOutbox(.postgres) { harness in
            let consumer = Self.recorder()
            let dispatcher = harness.dispatcher([consumer])
            let holding = Seen<Bool>()
            let release = Seen<Bool>()
            let slow = Task {
                try await harness.database.withTransaction { connection in
                    try await harness.outbox.append([NewEvent(type: "test.thing.changed", aggregate: "early", payload: "{}")], on: connection)
                    await holding.append(true)
                    while await release.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
                }
            }
            try await expectEventually { await holding.count == 1 }
            try await append(harness, ["late"])
            _ = try await dispatcher.deliver(to: consumer)
            #expect(try await Self.effects(harness).isEmpty, "nothing may pass an open transaction's event")
            await release.append(true)
            try await slow.value
            // Other tests' open transactions on the same server can hold the horizon back a moment.
            try await expectEventually {
                _ = try await dispatcher.deliver(to: consumer)
                return try await Self.effects(harness).count >= 2
            }
            #expect(try await Self.effects(harness) == ["early", "late"])
        }
    }

    /// Retention never drops an event a consumer has yet to process, and says who holds it.
    @Test(arguments: DatabaseEngine.allCases)
    func retentionKeepsWhatAConsumerHasNotProcessed(engine: DatabaseEngine) async throws {
        try await Self.withOutbox(engine) { harness in
            try await append(harness, ["a", "b"])
            try await harness.database.write { try await $0.raw("UPDATE apus_events SET occurred_at = 0").run() }
            let consumer = Self.recorder()
            let dispatcher = harness.dispatcher([consumer])
            try await dispatcher.register(consumer)
            let prune = EventRetention.handler(database: harness.database, logger: TestDatabase.logger, metrics: harness.metrics)
            let job = ClaimedJob(id: 1, kind: EventRetention.kind, payload: "{}", attempt: 1, maxAttempts: 1)
            @Sendable func kept() async throws -> Int {
                try await harness.database.read { try await $0.raw("SELECT count(*) AS n FROM apus_events").first()!.decode(column: "n", as: Int.self) }
            }
            try await prune.run(job)
            #expect(try await kept() == 2)
            var exposition: [UInt8] = []
            harness.metrics.emit(into: &exposition)
            #expect(String(decoding: exposition, as: UTF8.self).contains("apus_events_consumers_behind 1"))
            // Other tests' open transactions on the same server can hold the horizon back a moment.
            try await expectEventually {
                _ = try await dispatcher.deliver(to: consumer)
                return try await Self.effects(harness).count == 2
            }
            try await prune.run(job)
            #expect(try await kept() == 0)
        }
    }

    /// A consumer that does not ask for history starts at the head: it gets what is written
    /// after it first runs, not what was written before.
    @Test(arguments: DatabaseEngine.allCases)
    func aNewConsumerStartsAtTheHeadUnlessItAsksForHistory(engine: DatabaseEngine) async throws {
        try await Self.withOutbox(engine) { harness in
            try await append(harness, ["before"])
            let late = EventConsumer(name: "test.late") { event, transaction in
                try await transaction.sql.raw("INSERT INTO t_effects (consumer, event_id, aggregate) VALUES ('test.late', \(bind: event.id), \(bind: event.aggregate))").run()
            }
            let dispatcher = harness.dispatcher([late, Self.recorder()])
            try await harness.running([dispatcher]) {
                try await expectEventually { try await Self.effects(harness) == ["before"] }
                try await expectEventually {
                    try await harness.database.read { try await $0.raw("SELECT name FROM apus_event_consumers WHERE name = 'test.late'").first() != nil }
                }
                try await append(harness, ["after"])
                try await expectEventually { try await Self.effects(harness, consumer: "test.late") == ["after"] }
            }
        }
    }

    /// Transaction ids are ordered as numbers even where their digits grow (99 → 100): more
    /// events than one batch, on both sides of the boundary, all arrive in order.
    @Test func eventsOnBothSidesOfATransactionIdWithMoreDigitsAllArrive() async throws {
        try await Self.withOutbox(.postgres) { harness in
            // Finished transactions' ids, far below any running one, written as they would be.
            for tx in [99, 100] {
                try await harness.database.write { connection in
                    try await connection.raw("""
                        INSERT INTO apus_events (tx, type, aggregate, payload, occurred_at)
                        SELECT \(bind: String(tx))::xid8, 'test.thing.changed', 'a' || n, '{}', 0 FROM generate_series(1, 300) AS n
                        """).run()
                }
            }
            let consumer = Self.recorder()
            let dispatcher = harness.dispatcher([consumer])
            try await expectEventually {
                _ = try await dispatcher.deliver(to: consumer)
                return try await Self.effects(harness).count >= 600
            }
            #expect(try await Self.effects(harness).count == 600)
        }
    }
}
