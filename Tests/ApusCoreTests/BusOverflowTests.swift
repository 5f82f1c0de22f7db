@testable import ApusCore
import ApusTesting
import Foundation
import Prometheus
import Testing

/// A bus subscriber that falls behind is told so, never left to miss messages silently, and a
/// payload too large for the bus is refused where it is published.
@Suite struct BusOverflowTests {
    /// A bus that hands a whole flood to its subscribers in one turn, before any can read.
    actor FloodBus: ClusterBus {
        private var subscribers: BusSubscribers
        private(set) var subscriptions = 0

        init(drops: Counter? = nil) {
            subscribers = BusSubscribers(drops: drops)
        }

        func publish(_ channel: String, _ payload: String) throws {
            try flood(channel, [payload])
        }

        func flood(_ channel: String, _ payloads: [String]) throws {
            for payload in payloads {
                try BusPayloadTooLarge.check(payload, on: channel)
                subscribers.deliver(.message(payload), on: channel)
            }
        }

        func subscribe(_ channel: String) -> AsyncStream<ClusterMessage> {
            subscriptions += 1
            return subscribers.add(channel) { _ in }
        }
    }

    static func dropped(_ registry: PrometheusCollectorRegistry) -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("apus_bus_messages_dropped_total") }.map(String.init) ?? ""
    }

    @Test func aSubscriberThatFallsBehindLosesTheOldestAndIsToldToResynchronize() async throws {
        let registry = PrometheusCollectorRegistry()
        let drops = registry.makeCounter(descriptor: .init(namespace: "apus", subsystem: "bus", metricName: "messages_dropped", unitName: "total", helpText: "drops"))
        let bus = FloodBus(drops: drops)
        let stream = await bus.subscribe("flood")
        let sent = BusSubscribers.bufferSize + 100
        try await bus.flood("flood", (0..<sent).map { "m\($0)" })
        var received: [ClusterMessage] = []
        for await message in stream {
            received.append(message)
            if received.count == BusSubscribers.bufferSize { break }
        }
        // The newest messages are kept, the oldest lost, and one resynchronize comes after them.
        #expect(received.filter { $0 == .resynchronize }.count == 1)
        #expect(received.last == .message("m\(sent - 1)"))
        #expect(!received.contains(.message("m0")))
        // m0 went for m1024, m1 for the resynchronize, and one more for each message after.
        #expect(Self.dropped(registry) == "apus_bus_messages_dropped_total \(sent - BusSubscribers.bufferSize + 1)")

        // Once the subscriber has read it, a new loss brings a new resynchronize.
        try await bus.flood("flood", (0..<(BusSubscribers.bufferSize + 1)).map { "n\($0)" })
        var again: [ClusterMessage] = []
        for await message in stream {
            again.append(message)
            if again.count == BusSubscribers.bufferSize { break }
        }
        #expect(again.filter { $0 == .resynchronize }.count == 1)
    }

    /// A cache whose invalidation holds the follower until the test lets it go, so the flood
    /// that follows overflows the follower's stream whatever the scheduling.
    final class HoldingCache: InvalidatableCache {
        let name = "holding"
        let held = DispatchSemaphore(value: 0)
        func invalidate(described key: String) { held.wait() }
        func removeAll() {}
    }

    @Test func aCacheFollowerThatFallsBehindAFloodOfInvalidationsClearsItsCache() async throws {
        let bus = FloodBus()
        let registry = CacheRegistry(bus: bus)
        let cache = BusInvalidatedCache<String, String>(name: "flood", capacity: 10_000, lifetime: .seconds(600))
        registry.register(cache)
        let holding = HoldingCache()
        registry.register(holding)
        _ = try await cache.value(for: "kept") { "stale" }
        let follower = Task { try await CacheRegistry.Follower(registry: registry).run() }
        #expect(try await eventually(5) { await bus.subscriptions == 1 })
        // The follower is held on the first message; the invalidation of `kept` and more than
        // a subscriber may fall behind arrive meanwhile, so `kept`'s is among those lost.
        try await bus.flood(CacheRegistry.channel, ["holding\tnow", "flood\tkept"] + (0..<(2 * BusSubscribers.bufferSize)).map { "flood\tother\($0)" })
        holding.held.signal()
        #expect(try await eventually(10) { cache.cached("kept") == nil })
        follower.cancel()
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aPayloadTooLargeForTheBusIsRefusedWhereItIsPublished(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let bus = database.makeBus(logger: TestDatabase.logger)
            try await bus.publish("size", String(repeating: "x", count: clusterBusMaximumPayloadBytes))
            await #expect(throws: BusPayloadTooLarge.self) {
                try await bus.publish("size", String(repeating: "x", count: clusterBusMaximumPayloadBytes + 1))
            }
        }
    }
}
