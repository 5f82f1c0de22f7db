import Logging
import ServiceLifecycle
import Synchronization

/// The node's bus-invalidated caches by name: where a committed transaction's invalidations are
/// applied locally and sent to the other nodes, and where the other nodes' arrive.
public final class CacheRegistry: Sendable {
    private let caches = Mutex<[String: any InvalidatableCache]>([:])
    private let bus: any ClusterBus
    static let channel = "apus.cache"
    /// Invalidations travel in batches of at most what one bus message carries.
    static let payloadLimit = clusterBusMaximumPayloadBytes

    init(bus: any ClusterBus) {
        self.bus = bus
    }

    /// Makes `cache` reachable by its name; names are unique on a node.
    func register(_ cache: some InvalidatableCache) {
        caches.withLock { caches in
            precondition(caches[cache.name] == nil, "two caches are named \(cache.name)")
            caches[cache.name] = cache
        }
    }

    /// The names of the caches made so far.
    var names: Set<String> { caches.withLock { Set($0.keys) } }

    /// The cache named `name`, made by `make` if there is none yet.
    func cache<Cache: InvalidatableCache>(named name: String, make: () -> Cache) -> Cache {
        caches.withLock { caches in
            if let existing = caches[name] {
                guard let cache = existing as? Cache else { preconditionFailure("two caches of different types are named \(name)") }
                return cache
            }
            let cache = make()
            caches[name] = cache
            return cache
        }
    }

    private func cache(_ name: String) -> (any InvalidatableCache)? {
        caches.withLock { $0[name] }
    }

    /// Drops `keys` here at once, then on every other node.
    func invalidate(_ keys: [CacheKey]) async {
        guard !keys.isEmpty else { return }
        for key in keys { cache(key.cache)?.invalidate(described: key.key) }
        for payload in Self.payloads(keys) {
            try? await bus.publish(Self.channel, payload)
        }
    }

    /// `cache TAB key` lines, cut into payloads the bus can carry.
    static func payloads(_ keys: [CacheKey]) -> [String] {
        var payloads: [String] = []
        var current = ""
        for key in keys {
            let line = key.cache + "\t" + key.key
            if !current.isEmpty, current.utf8.count + line.utf8.count + 1 > payloadLimit {
                payloads.append(current)
                current = ""
            }
            current += current.isEmpty ? line : "\n" + line
        }
        if !current.isEmpty { payloads.append(current) }
        return payloads
    }

    /// Applies a payload from the bus.
    func apply(_ message: ClusterMessage) {
        switch message {
        case .message(let payload):
            for line in payload.split(separator: "\n") {
                guard let tab = line.firstIndex(of: "\t") else { continue }
                cache(String(line[..<tab]))?.invalidate(described: String(line[line.index(after: tab)...]))
            }
        case .resynchronize:
            for cache in caches.withLock({ Array($0.values) }) { cache.removeAll() }
        }
    }

    /// Applies other nodes' invalidations until the node stops.
    struct Follower: Service {
        let registry: CacheRegistry

        func run() async throws {
            let messages = await registry.bus.subscribe(CacheRegistry.channel)
            await cancelWhenGracefulShutdown {
                for await message in messages { registry.apply(message) }
            }
        }
    }
}
