import ApusCore
import ApusTesting
import Foundation
import SQLKit
import Testing

@Suite struct ClusterBusTests {
    /// A connection of the test server whose last statement was a `LISTEN` or `UNLISTEN`.
    struct Listener: Equatable {
        let pid: Int
        let application: String
        let statement: String

        var listens: Bool { statement.uppercased().hasPrefix("LISTEN") }
    }

    /// Channel names no other test uses (tests share one database, so its channels), all
    /// containing `tag`.
    static func channels(_ count: Int) -> (tag: String, names: [String]) {
        let tag = "bus" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        return (tag, (1...count).map { "\(tag)_\($0)" })
    }

    /// The connections whose last statement listened to, or stopped listening to, a channel
    /// tagged `tag`: a bus's listening connections, since PostgreSQL shows no session's
    /// channels to another.
    static func listeners(_ database: any Database, tag: String) async throws -> [Listener] {
        try await database.read { connection in
            try await connection.raw("""
                SELECT pid, application_name, query FROM pg_stat_activity
                WHERE datname = current_database() AND query ~* '^(UN)?LISTEN ' AND strpos(query, \(bind: tag)) > 0
                ORDER BY pid
                """).all().map { row in
                Listener(
                    pid: try row.decode(column: "pid", as: Int.self),
                    application: try row.decode(column: "application_name", as: String.self),
                    statement: try row.decode(column: "query", as: String.self)
                )
            }
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aMessageReachesEverySubscriberOfItsChannelAndNoOther(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let bus = database.makeBus(logger: TestDatabase.logger)
            let (_, names) = Self.channels(2)
            let first = Inbox(await bus.subscribe(names[0]))
            let second = Inbox(await bus.subscribe(names[0]))
            let other = Inbox(await bus.subscribe(names[1]))
            #expect(try await Inbox.untilListening(bus, on: names[0], [first, second]))
            #expect(try await Inbox.untilListening(bus, on: names[1], [other]))

            try await bus.publish(names[0], "hello")
            try await bus.publish(names[1], "world")
            try await bus.publish(names[0], "again")
            try await expectEventually {
                let (first, second, other) = (await first.messages, await second.messages, await other.messages)
                return first == ["hello", "again"] && second == ["hello", "again"] && other == ["world"]
            }
        }
    }

    @Test func everyChannelOfANodeSharesOneListeningConnection() async throws {
        try await TestDatabase.withDatabase(.postgres) { database in
            let bus = database.makeBus(logger: TestDatabase.logger)
            let (tag, names) = Self.channels(4)
            // Two channels subscribed before the connection is up, two once it listens.
            let early = [Inbox(await bus.subscribe(names[0])), Inbox(await bus.subscribe(names[1]))]
            for (name, inbox) in zip(names, early) {
                #expect(try await Inbox.untilListening(bus, on: name, [inbox]))
            }
            let late = [Inbox(await bus.subscribe(names[2])), Inbox(await bus.subscribe(names[3]))]
            for (name, inbox) in zip(names.dropFirst(2), late) {
                #expect(try await Inbox.untilListening(bus, on: name, [inbox]))
            }

            let listeners = try await Self.listeners(database, tag: tag)
            #expect(listeners.count == 1, "\(listeners)")
            #expect(listeners.allSatisfy { $0.listens && $0.application == "apus-bus" }, "\(listeners)")
        }
    }

    @Test func theListeningConnectionClosesWhenTheLastSubscriberLeaves() async throws {
        try await TestDatabase.withDatabase(.postgres) { database in
            let bus = database.makeBus(logger: TestDatabase.logger)
            let (tag, names) = Self.channels(2)
            let leaving = Inbox(await bus.subscribe(names[0]))
            let staying = Inbox(await bus.subscribe(names[1]))
            #expect(try await Inbox.untilListening(bus, on: names[0], [leaving]))
            #expect(try await Inbox.untilListening(bus, on: names[1], [staying]))

            leaving.stop()
            try await bus.publish(names[1], "still here")
            try await expectEventually { await staying.messages == ["still here"] }
            #expect(try await Self.listeners(database, tag: tag).count == 1)

            staying.stop()
            try await expectEventually { try await Self.listeners(database, tag: tag).isEmpty }
        }
    }

    @Test func afterTheListeningConnectionIsKilledEverySubscriberResynchronisesAndMessagesFlowAgain() async throws {
        try await TestDatabase.withDatabase(.postgres) { database in
            let bus = database.makeBus(logger: TestDatabase.logger)
            let (tag, names) = Self.channels(3)
            let inboxes = [
                (names[0], Inbox(await bus.subscribe(names[0]))),
                (names[0], Inbox(await bus.subscribe(names[0]))),
                (names[1], Inbox(await bus.subscribe(names[1]))),
                (names[2], Inbox(await bus.subscribe(names[2]))),
            ]
            for (name, inbox) in inboxes {
                #expect(try await Inbox.untilListening(bus, on: name, [inbox]))
            }
            let killed = try await Self.listeners(database, tag: tag)
            try #require(killed.count == 1, "\(killed)")
            var before: [Int] = []
            for (_, inbox) in inboxes { before.append(await inbox.resynchronizations) }
            let resynchronizedBefore = before

            try await database.write { try await $0.raw("SELECT pg_terminate_backend(\(bind: killed[0].pid)::integer)").run() }

            try await expectEventually {
                for ((_, inbox), count) in zip(inboxes, resynchronizedBefore) where await inbox.resynchronizations <= count {
                    return false
                }
                return true
            }
            // A subscriber hears .resynchronize once its channel is listened to again, so one
            // message, sent once, must arrive.
            for name in names { try await bus.publish(name, "after \(name)") }
            try await expectEventually {
                for (name, inbox) in inboxes where !(await inbox.messages.contains("after \(name)")) { return false }
                return true
            }
            let replacement = try await Self.listeners(database, tag: tag)
            #expect(replacement.count == 1, "\(replacement)")
            #expect(replacement.map(\.pid) != killed.map(\.pid))
        }
    }
}
