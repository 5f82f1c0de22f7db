@testable import ApusCore
import ApusTesting
import Foundation
import Prometheus
import Synchronization
import Testing

/// What a transaction defers happens once it commits, and never when it rolls back: bus
/// messages it publishes and actions outside the database.
@Suite struct TransactionEffectsTests {
    struct Rollback: Error {}

    static func withPlatform(_ engine: DatabaseEngine, _ body: @Sendable (Platform, PrometheusCollectorRegistry) async throws -> Void) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let metrics = PrometheusCollectorRegistry()
            try await body(Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger, metrics: metrics), metrics)
        }
    }

    static func series(_ registry: PrometheusCollectorRegistry, _ name: String) -> Double {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        let line = String(decoding: buffer, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test(arguments: DatabaseEngine.allCases)
    func anActionAfterCommitRunsOnlyOnceTheTransactionCommits(engine: DatabaseEngine) async throws {
        try await Self.withPlatform(engine) { platform, metrics in
            let ran = Mutex<[String]>([])
            await #expect(throws: Rollback.self) {
                try await platform.transaction { transaction in
                    transaction.afterCommit { ran.withLock { $0.append("rolled back") } }
                    throw Rollback()
                }
            }
            try await platform.transaction { transaction in
                transaction.afterCommit { ran.withLock { $0.append("committed") } }
                // Not yet: the transaction has not committed.
                #expect(ran.withLock { $0 }.isEmpty)
            }
            #expect(ran.withLock { $0 } == ["committed"])

            // A failing action is logged and counted; the committed change is no error.
            struct Unreachable: Error {}
            try await platform.transaction { transaction in
                transaction.afterCommit { throw Unreachable() }
            }
            #expect(Self.series(metrics, "apus_after_commit_failures_total") == 1)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPublishedMessageIsSentOnlyOnceTheTransactionCommits(engine: DatabaseEngine) async throws {
        try await Self.withPlatform(engine) { platform, _ in
            let channel = "effects" + UUID().uuidString.prefix(8).lowercased()
            let inbox = Inbox(await platform.bus.subscribe(channel))
            #expect(try await Inbox.untilListening(platform.bus, on: channel, [inbox]))
            await #expect(throws: Rollback.self) {
                try await platform.transaction { transaction in
                    try transaction.publish(channel, "rolled back")
                    throw Rollback()
                }
            }
            try await platform.transaction { transaction in
                try transaction.publish(channel, "committed")
            }
            try await expectEventually { await inbox.messages == ["committed"] }
            // Too large for the bus: refused at the call, before anything commits.
            await #expect(throws: BusPayloadTooLarge.self) {
                try await platform.transaction { transaction in
                    try transaction.publish(channel, String(repeating: "x", count: clusterBusMaximumPayloadBytes + 1))
                }
            }
        }
    }

    @Test func effectsAskedForAfterAMarkAreForgottenWhenTheirSavepointIsRolledBack() async throws {
        try await Self.withPlatform(.sqlite) { platform, _ in
            let ran = Mutex<[String]>([])
            try await platform.transaction { transaction in
                transaction.afterCommit { ran.withLock { $0.append("kept") } }
                let mark = transaction.effectsMark()
                transaction.afterCommit { ran.withLock { $0.append("rolled back to the mark") } }
                transaction.discardEffects(since: mark)
            }
            #expect(ran.withLock { $0 } == ["kept"])
        }
    }
}
