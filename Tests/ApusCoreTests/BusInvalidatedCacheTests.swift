@testable import ApusCore
import ApusTesting
import Foundation
import ServiceLifecycle
import SQLKit
import Synchronization
import Testing

@Suite struct BusInvalidatedCacheTests {
    @Test func aLoadThatRacesAnInvalidationIsNotKept() async throws {
        let cache = BusInvalidatedCache<String, String>(name: "test", capacity: 10, lifetime: .seconds(60))
        let read = Gate()
        let release = Gate()
        async let loaded = cache.load("k") {
            await read.open()
            await release.wait()
            return "stale"
        }
        await read.wait()
        cache.invalidate("k")
        await release.open()
        #expect(try await loaded == "stale")
        #expect(cache.cached("k") == nil)
        #expect(try await cache.value(for: "k") { "fresh" } == "fresh")
        #expect(try await cache.value(for: "k") { "not asked" } == "fresh")
    }

    @Test func manyKeysLoadOnlyTheMissingOnesAndARacedInvalidationKeepsOneOut() async throws {
        let cache = BusInvalidatedCache<String, Int>(name: "many", capacity: 10, lifetime: .seconds(60))
        #expect(try await cache.value(for: "a") { 1 } == 1)
        let read = Gate()
        let release = Gate()
        async let loaded = cache.values(for: ["a", "b", "c", "b", "gone"]) { missing in
            #expect(missing == ["b", "c", "gone"])
            await read.open()
            await release.wait()
            return ["b": 2, "c": 3]
        }
        await read.wait()
        cache.invalidate("c")
        await release.open()
        #expect(try await loaded == ["a": 1, "b": 2, "c": 3])
        // b is kept (unless it shares c's stripe); c, invalidated while it loaded, and gone,
        // which had no value, are asked again.
        let expected = cache.stripe("b") == cache.stripe("c") ? ["b", "c", "gone"] : ["c", "gone"]
        var asked: [String] = []
        let again = try await cache.values(for: ["b", "c", "gone"]) { missing in
            asked = missing
            return ["b": 2, "c": 30]
        }
        #expect(asked == expected)
        #expect(again == ["b": 2, "c": 30])
    }

    @Test func missesAreRememberedOnlyWhenAskedAndEntriesExpire() async throws {
        let clock = TestClock()
        let remembering = BusInvalidatedCache<String, Int>(name: "a", capacity: 10, lifetime: .milliseconds(30), missLifetime: .seconds(60), now: clock.now)
        #expect(try await remembering.value(for: "x") { nil } == nil)
        #expect(try await remembering.value(for: "x") { 1 } == nil)
        let forgetting = BusInvalidatedCache<String, Int>(name: "b", capacity: 10, lifetime: .seconds(30), now: clock.now)
        #expect(try await forgetting.value(for: "x") { nil } == nil)
        #expect(try await forgetting.value(for: "x") { 1 } == 1)
        // The bounded lifetime: an entry nobody invalidated is read again after it.
        clock.advance(by: 29)
        #expect(try await forgetting.value(for: "x") { 2 } == 1)
        clock.advance(by: 2)
        #expect(try await forgetting.value(for: "x") { 2 } == 2)
    }

    /// Two nodes on one database, each with its cache of the value in `t_values`: an
    /// invalidation committed on one node while the other is between its read and its cache
    /// write leaves no stale entry on the other.
    @Test(arguments: DatabaseEngine.allCases)
    func anInvalidationFromAnotherNodeDuringASlowLoadLeavesNoStaleEntry(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            try await Migrator(database: database, migrations: ApusServer.platformMigrations, logger: TestDatabase.logger).migrate()
            try await database.write { try await $0.raw("CREATE TABLE t_values (k TEXT PRIMARY KEY, v TEXT NOT NULL)").run() }
            try await database.write { try await $0.raw("INSERT INTO t_values (k, v) VALUES ('k', 'old')").run() }
            @Sendable func read(_ connection: any SQLDatabase) async throws -> String? {
                try await connection.raw("SELECT v FROM t_values WHERE k = 'k'").first()?.decode(column: "v", as: String.self)
            }
            try await Self.withTwoFollowingNodes(database, cache: "test.values") { nodes, caches in
                let readDone = Gate()
                let release = Gate()
                async let slow = caches[0].load("k") {
                    let value = try await database.read(read)
                    await readDone.open()
                    await release.wait()
                    return value
                }
                await readDone.wait()
                let before = caches[0].generation(for: "k")
                try await nodes[1].transaction { transaction in
                    try await transaction.sql.raw("UPDATE t_values SET v = 'new' WHERE k = 'k'").run()
                    transaction.invalidate(caches[1], "k")
                }
                try await expectEventually { caches[0].generation(for: "k") != before }
                await release.open()
                #expect(try await slow == "old")
                #expect(try await caches[0].value(for: "k") { try await database.read(read) } == "new")
            }
        }
    }

    /// Two nodes on `database`, each with its cache `name`, whose followers run while `body`
    /// does, from the moment the first hears the second's invalidations. The probe's key is on
    /// another stripe than `k`'s, so a probe arriving late drops nothing a test looks at.
    static func withTwoFollowingNodes(
        _ database: any Database, cache name: String, _ body: ([Platform], [BusInvalidatedCache<String, String>]) async throws -> Void
    ) async throws {
        let shared: (any ClusterBus)? = database.engine == .sqlite ? LocalBus() : nil
        let nodes = (0..<2).map { _ in Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger, bus: shared) }
        let caches: [BusInvalidatedCache<String, String>] = nodes.map { $0.cache(name, capacity: 10, lifetime: .seconds(60)) }
        let probe = Self.key("probe", awayFrom: "k", in: caches[0])
        let followers = ServiceGroup(
            services: nodes.map { CacheRegistry.Follower(registry: $0.caches) }, gracefulShutdownSignals: [], cancellationSignals: [], logger: TestDatabase.logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await followers.run() }
            do {
                try await expectEventually {
                    try await nodes[1].transaction { $0.invalidate(caches[1], probe) }
                    return caches[0].generation(for: probe) > 0
                }
                try await body(nodes, caches)
            } catch {
                await followers.triggerGracefulShutdown()
                throw error
            }
            await followers.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    /// A key starting with `prefix` on another stripe than `other`'s: dropping it leaves
    /// `other`'s generation alone.
    static func key(_ prefix: String, awayFrom other: String, in cache: BusInvalidatedCache<String, String>) -> String {
        (0..<1000).lazy.map { "\(prefix)\($0)" }.first { cache.stripe($0) != cache.stripe(other) }!
    }

    /// The bus hands a node its own invalidations back, after it dropped their keys itself and
    /// perhaps loaded them again: the echo is not applied, so the fresh entry stays. Another
    /// node's invalidation of the same key arrives behind it and drops it.
    @Test(arguments: DatabaseEngine.allCases)
    func aNodeIgnoresTheEchoOfItsOwnInvalidations(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            try await Self.withTwoFollowingNodes(database, cache: "test.echo") { nodes, caches in
                #expect(try await caches[0].value(for: "k") { "old" } == "old")
                // Every drop of a key of k's stripe moves its generation, whenever it lands.
                let dropped = caches[0].generation(for: "k")
                await nodes[0].invalidate(caches[0], ["k"])
                #expect(caches[0].cached("k") == nil, "dropped here before it is sent")
                #expect(try await caches[0].value(for: "k") { "fresh" } == "fresh")
                // Sent after the echo, so heard after it: once it is here, the echo was too.
                let after = Self.key("after", awayFrom: "k", in: caches[0])
                let heard = caches[0].generation(for: after)
                await nodes[1].invalidate(caches[1], [after])
                try await expectEventually { caches[0].generation(for: after) != heard }
                #expect(caches[0].generation(for: "k") == dropped + 1, "dropped once, here, and not again by the echo")
                var kept: String?
                if case .value(let value)? = caches[0].cached("k") { kept = value }
                #expect(kept == "fresh", "the echo leaves the entry loaded after the invalidation")
                await nodes[1].invalidate(caches[1], ["k"])
                try await expectEventually { caches[0].cached("k") == nil }
            }
        }
    }

    /// A payload names its sender on a first line without a tab, which a node that reads no
    /// sender skips; a payload with no sender line is applied by every node.
    @Test func aPayloadNamesItsSenderAndOnlyTheSenderSkipsIt() async throws {
        let bus = LocalBus()
        func node(_ name: String?) -> (CacheRegistry, BusInvalidatedCache<String, String>) {
            let registry = CacheRegistry(bus: bus, node: name)
            let cache = BusInvalidatedCache<String, String>(name: "test.sender", capacity: 10, lifetime: .seconds(60))
            registry.register(cache)
            return (registry, cache)
        }
        let nodes = [node("node_a"), node("node_ab"), node(nil)]
        let keys = [CacheKey(cache: "test.sender", key: "k")]
        for payload in [CacheRegistry.payloads(keys, from: "node_a"), CacheRegistry.payloads(keys)] {
            #expect(payload.count == 1)
            for (_, cache) in nodes { _ = try await cache.value(for: "k") { "cached" } }
            for (registry, _) in nodes { registry.apply(.message(payload[0])) }
            let signed = payload[0].hasPrefix("@node_a\n")
            #expect((nodes[0].1.cached("k") != nil) == signed, "only the sender keeps its entry")
            #expect(nodes[1].1.cached("k") == nil && nodes[2].1.cached("k") == nil)
        }
        let many = (0..<2000).map { CacheKey(cache: "links.redirects", key: "code\($0)") }
        let payloads = CacheRegistry.payloads(many, from: "node_a")
        #expect(payloads.count > 1 && payloads.allSatisfy { $0.hasPrefix("@node_a\n") && $0.utf8.count <= CacheRegistry.payloadLimit })
        #expect(payloads.flatMap { $0.split(separator: "\n").dropFirst() }.count == many.count)
        // A key that fits the bus only without the sender line is sent without it.
        let long = CacheKey(cache: "test.sender", key: String(repeating: "k", count: CacheRegistry.payloadLimit - "test.sender\t".utf8.count))
        #expect(CacheRegistry.payloads([keys[0], long, keys[0]], from: "node_a") == ["test.sender\t" + long.key, "@node_a\ntest.sender\tk\ntest.sender\tk"])
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aRolledBackTransactionInvalidatesNothing(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let platform = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger, bus: LocalBus())
            let cache: BusInvalidatedCache<String, String> = platform.cache("test.kept", capacity: 10, lifetime: .seconds(60))
            #expect(try await cache.value(for: "k") { "cached" } == "cached")
            struct Abandoned: Error {}
            await #expect(throws: Abandoned.self) {
                try await platform.transaction { transaction in
                    transaction.invalidate(cache, "k")
                    throw Abandoned()
                }
            }
            #expect(try await cache.value(for: "k") { "reloaded" } == "cached")
            try await platform.transaction { transaction in transaction.invalidate(cache, "k") }
            #expect(try await cache.value(for: "k") { "reloaded" } == "reloaded")
        }
    }

    /// From the moment a transaction invalidates a key until the invalidation is applied on the
    /// node after the commit, the key is read from the database: a request that already sees
    /// the commit (its client polled another endpoint) is never answered from the old entry.
    /// Keys of other stripes are served from the cache as before. A transaction used after its
    /// end holds nothing.
    @Test(arguments: DatabaseEngine.allCases)
    func aKeyIsReadFromTheDatabaseWhileATransactionInvalidatingItIsUnderWay(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let platform = Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger, bus: LocalBus())
            let cache: BusInvalidatedCache<String, String> = platform.cache("test.held", capacity: 10, lifetime: .seconds(60))
            let other = (0..<1000).map { "other\($0)" }.first { cache.stripe($0) != cache.stripe("k") }!
            #expect(try await cache.value(for: "k") { "old" } == "old")
            #expect(try await cache.value(for: other) { "kept" } == "kept")
            try await platform.transaction { transaction in
                transaction.invalidate(cache, "k")
                #expect(cache.cached("k") == nil)
                let during = try await cache.value(for: "k") { "read in the transaction" }
                #expect(during == "read in the transaction")
                #expect(cache.cached("k") == nil, "a load while the key is held is not kept")
                let elsewhere = try await cache.value(for: other) { "not asked" }
                #expect(elsewhere == "kept")
                transaction.afterCommit {
                    // Committed and invalidated here: the entry is gone and the hold with it.
                    #expect(cache.cached("k") == nil)
                }
            }
            #expect(try await cache.value(for: "k") { "new" } == "new")
            #expect(try await cache.value(for: "k") { "not asked" } == "new")

            let escaped = Mutex<Transaction?>(nil)
            try await platform.transaction { transaction in escaped.withLock { $0 = transaction } }
            escaped.withLock { $0 }?.invalidate(cache, "k")
            #expect(try await cache.value(for: "k") { "not asked" } == "new")
        }
    }

    @Test func invalidationsTravelInPayloadsTheBusCanCarry() {
        let keys = (0..<2000).map { CacheKey(cache: "links.redirects", key: "code\($0)") }
        let payloads = CacheRegistry.payloads(keys)
        #expect(payloads.count > 1)
        #expect(payloads.allSatisfy { $0.utf8.count <= CacheRegistry.payloadLimit })
        #expect(payloads.flatMap { $0.split(separator: "\n") }.count == keys.count)
    }
}
