import Logging
import ServiceLifecycle
import Synchronization

/// The node's bus-invalidated caches by name: where a committed transaction's invalidations are
/// applied locally and sent to the other nodes, and where the other nodes' arrive.
public final class CacheRegistry: Sendable {
    private let caches = Mutex<[String: any InvalidatableCache]>([:])
    private let bus: any ClusterBus
    /// This node's name, sent as the first line of its payloads. The bus hands a node its own
    /// messages too, but their keys were dropped here before sending: applied again on arrival
    /// they would only drop what was loaded since, fresh.
    private let node: String?
    package static let channel = "apus.cache"
    /// Invalidations travel in batches of at most what one bus message carries.
    static let payloadLimit = clusterBusMaximumPayloadBytes
    /// Starts the line that names a payload's sender; it holds no tab, so a node that predates
    /// it skips the line as it skips any line without one.
    static let senderMark = "@"

    /// A registry whose invalidations go out on `bus`, signed with `node` when given.
    init(bus: any ClusterBus, node: String? = nil) {
        self.bus = bus
        self.node = node
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
        for payload in Self.payloads(keys, from: node) {
            try? await bus.publish(Self.channel, payload)
        }
    }

    /// `cache TAB key` lines, cut into payloads the bus can carry, each led by the line naming
    /// `sender` when there is one.
    static func payloads(_ keys: [CacheKey], from sender: String? = nil) -> [String] {
        let header = sender.map { senderMark + $0 } ?? ""
        var payloads: [String] = []
        var current = header
        for key in keys {
            let line = key.cache + "\t" + key.key
            // A line that fits only alone goes unsigned: the sender applying it again is harmless.
            if !header.isEmpty, header.utf8.count + 1 + line.utf8.count > payloadLimit {
                payloads.append(line)
                continue
            }
            if current.utf8.count > header.utf8.count, current.utf8.count + line.utf8.count + 1 > payloadLimit {
                payloads.append(current)
                current = header
            }
            current += current.isEmpty ? line : "\n" + line
        }
        if current.utf8.count > header.utf8.count { payloads.append(current) }
        return payloads
    }

    /// Applies a payload from the bus, unless this node sent it.
    func apply(_ message: ClusterMessage) {
        switch message {
        case .message(let payload):
            if let node, payload.hasPrefix(Self.senderMark),
                payload.utf8.dropFirst(Self.senderMark.utf8.count).prefix(while: { $0 != UInt8(ascii: "\n") }).elementsEqual(node.utf8)
            {
                return
            }
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
