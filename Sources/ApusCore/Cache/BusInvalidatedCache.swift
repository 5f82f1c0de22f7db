public import ApusKit
public import Foundation
public import Prometheus
public import Synchronization

/// A node-local cache of values read from the database, dropped on every node when a
/// transaction invalidates their key (``Transaction/invalidate(_:_:)``), and entirely when the
/// bus may have lost messages.
///
/// A load that races an invalidation never leaves a stale entry behind: each key falls in one of
/// a fixed set of stripes whose generation an invalidation bumps, and a loaded value is kept only
/// if its stripe's generation is the one seen before the load began. Entries also expire after a
/// bounded lifetime, a safety net for anything the bus could not deliver.
///
/// A transaction that invalidates a key holds its stripe until the transaction has ended and its
/// invalidations are applied on this node: meanwhile the stripe's keys are read from the
/// database, not the cache, so a client that sees the commit (through another request) is never
/// answered from the entry it replaced.
public final class BusInvalidatedCache<Key: Hashable & Sendable & LosslessStringConvertible, Value: Sendable>: Sendable {
    /// The name invalidations are addressed to, unique on the node (`links.redirects`).
    public let name: String

    /// What is cached for a key.
    public enum Cached: Sendable {
        /// The value read.
        case value(Value)
        /// The database had no value, remembered for the miss lifetime.
        case missing
    }

    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline let cached: Cached
        @usableFromInline let expires: Date

        @usableFromInline
        init(cached: Cached, expires: Date) {
            self.cached = cached
            self.expires = expires
        }
    }

    @usableFromInline
    struct State {
        @usableFromInline var entries: LRUCache<Key, Entry>
        @usableFromInline var generations: [UInt64]
        /// Open holds by stripe (``hold(_:)``), and their total, so a read checks its stripe
        /// only while some transaction holds one.
        @usableFromInline var holds: [UInt32]
        @usableFromInline var holding: Int

        @usableFromInline
        init(entries: LRUCache<Key, Entry>, generations: [UInt64]) {
            self.entries = entries
            self.generations = generations
            self.holds = Array(repeating: 0, count: generations.count)
            self.holding = 0
        }
    }

    // Inlinable so a module's hot path (the redirect) gets it specialised for its own types
    // instead of paying generic metadata lookups on every hit.
    @usableFromInline let state: Mutex<State>
    private let lifetime: TimeInterval
    private let missLifetime: TimeInterval?
    /// The platform's clock: entries expire on it, so a test moves it instead of sleeping.
    @usableFromInline let now: @Sendable () -> Date
    @usableFromInline let hits: Counter?
    @usableFromInline let misses: Counter?
    @usableFromInline let stripeMask: Int

    /// A cache of at most `capacity` entries, each kept at most `lifetime`; misses are remembered
    /// for `missLifetime` (`nil`: not at all). With `metrics`, hits and misses are counted as
    /// `apus_cache_hits_total{cache=...}` and `apus_cache_misses_total{cache=...}`.
    ///
    /// Made by ``Platform/cache(_:capacity:lifetime:missLifetime:countHitsAndMisses:)`` only, so
    /// every cache is registered for the bus's invalidations and reads the platform's clock.
    init(
        name: String, capacity: Int, lifetime: Duration, missLifetime: Duration? = nil,
        metrics: PrometheusCollectorRegistry? = nil, stripes: Int = 256, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        precondition(stripes > 0 && stripes & (stripes - 1) == 0, "stripes is a power of two")
        self.name = name
        self.lifetime = lifetime.timeInterval
        self.missLifetime = missLifetime?.timeInterval
        self.now = now
        self.stripeMask = stripes - 1
        self.state = Mutex(State(entries: LRUCache(capacity: capacity), generations: Array(repeating: 0, count: stripes)))
        self.hits = metrics?.makeCounter(
            descriptor: .init(namespace: "apus", subsystem: "cache", metricName: "hits", unitName: "total", helpText: "Reads answered from a node cache."),
            labels: [("cache", name)]
        )
        self.misses = metrics?.makeCounter(
            descriptor: .init(namespace: "apus", subsystem: "cache", metricName: "misses", unitName: "total", helpText: "Reads a node cache had to load."),
            labels: [("cache", name)]
        )
    }

    @usableFromInline
    func stripe(_ key: Key) -> Int { key.hashValue & stripeMask }

    /// What is cached for `key`, if anything fresh; `nil` when the caller must load.
    @inlinable
    public func cached(_ key: Key) -> Cached? {
        let now = now()
        let found: Cached? = state.withLock { state in
            // A transaction that invalidates a key of this stripe is open, or has just committed.
            if state.holding > 0, state.holds[stripe(key)] > 0 { return nil }
            guard let entry = state.entries.get(key) else { return nil }
            guard entry.expires > now else {
                _ = state.entries.remove(key)
                return nil
            }
            return entry.cached
        }
        (found == nil ? misses : hits)?.increment()
        return found
    }

    /// The value for `key`: from the cache, or from `load`, whose answer is kept unless `key` was
    /// invalidated while it ran. Inlinable so a hit is specialised for the caller's types.
    @inlinable
    public func value(for key: Key, load: () async throws -> Value?) async throws -> Value? {
        switch cached(key) {
        case .value(let value): return value
        case .missing: return nil
        case nil: return try await self.load(key, load)
        }
    }

    /// Loads `key` with `load` (the cache had nothing) and keeps the answer unless `key` was
    /// invalidated meanwhile.
    public func load(_ key: Key, _ load: () async throws -> Value?) async throws -> Value? {
        let stripe = stripe(key)
        let generation = state.withLock { $0.generations[stripe] }
        let loaded = try await load()
        store(key, loaded, generation: generation, stripe: stripe)
        return loaded
    }

    /// The values of `keys`: those cached, and the others from one `load` of the keys missing
    /// (each kept unless it was invalidated while `load` ran). A key neither holds is absent.
    public func values(for keys: [Key], load: ([Key]) async throws -> [Key: Value]) async throws -> [Key: Value] {
        var found: [Key: Value] = [:]
        var missing: [Key] = []
        var asked = Set<Key>()
        for key in keys where asked.insert(key).inserted {
            switch cached(key) {
            case .value(let value): found[key] = value
            case .missing: continue
            case nil: missing.append(key)
            }
        }
        guard !missing.isEmpty else { return found }
        let stripes = missing.map(stripe)
        let generations = state.withLock { state in stripes.map { state.generations[$0] } }
        let loaded = try await load(missing)
        for (index, key) in missing.enumerated() {
            store(key, loaded[key], generation: generations[index], stripe: stripes[index])
            if let value = loaded[key] { found[key] = value }
        }
        return found
    }

    private func store(_ key: Key, _ loaded: Value?, generation: UInt64, stripe: Int) {
        let entry: Entry
        if let loaded {
            entry = Entry(cached: .value(loaded), expires: now().addingTimeInterval(lifetime))
        } else if let missLifetime {
            entry = Entry(cached: .missing, expires: now().addingTimeInterval(missLifetime))
        } else {
            return
        }
        state.withLock { state in
            // An invalidation landed while loading: what was read may be stale.
            guard state.generations[stripe] == generation, state.holds[stripe] == 0 else { return }
            _ = state.entries.put(key, entry)
        }
    }

    /// Drops `key` on this node only (other nodes hear of it through the transaction's effects).
    public func invalidate(_ key: Key) {
        let stripe = stripe(key)
        state.withLock { state in
            _ = state.entries.remove(key)
            state.generations[stripe] &+= 1
        }
    }

    /// Holds `key`'s stripe for a transaction that will invalidate `key`: until ``release(stripe:)``,
    /// its keys are not answered from the cache and loads are not kept. The entries stay, for a
    /// transaction that rolls back. Returns the stripe to release.
    func hold(_ key: Key) -> Int {
        let stripe = stripe(key)
        state.withLock { state in
            state.holds[stripe] += 1
            state.holding += 1
            state.generations[stripe] &+= 1
        }
        return stripe
    }

    /// Ends one hold of `stripe`; a load that began while it was held is not kept.
    func release(stripe: Int) {
        state.withLock { state in
            state.holds[stripe] -= 1
            state.holding -= 1
            state.generations[stripe] &+= 1
        }
    }

    /// Drops everything on this node.
    public func removeAll() {
        state.withLock { state in
            state.entries.removeAll()
            for index in state.generations.indices { state.generations[index] &+= 1 }
        }
    }

    /// The generation of `key`'s stripe: it changes whenever an invalidation could concern `key`.
    package func generation(for key: Key) -> UInt64 {
        let stripe = stripe(key)
        return state.withLock { $0.generations[stripe] }
    }

    /// How many entries are held.
    public var count: Int { state.withLock { $0.entries.count } }
}

extension BusInvalidatedCache: InvalidatableCache {
    func invalidate(described key: String) {
        if let key = Key(key) { invalidate(key) }
    }
}

extension BusInvalidatedCache: HoldableCache {}

/// A cache whose stripes a transaction holds (``BusInvalidatedCache/hold(_:)``).
protocol HoldableCache: Sendable {
    func release(stripe: Int)
}

/// The cache stripes one transaction holds, released once it has ended and its invalidations
/// are applied on this node (or it rolled back): whoever runs the transaction releases them.
final class CacheHolds: Sendable {
    private struct State {
        var held: [(cache: any HoldableCache, stripe: Int)] = []
        var released = false
    }

    private let state = Mutex(State())

    init() {}

    /// Holds `key` of `cache` until ``release()``; nothing once released (a transaction used
    /// after its end holds nothing, so no stripe is held for ever).
    func hold<Key, Value>(_ cache: BusInvalidatedCache<Key, Value>, _ key: Key) {
        state.withLock { state in
            guard !state.released else { return }
            state.held.append((cache, cache.hold(key)))
        }
    }

    /// Ends every hold; later calls do nothing.
    func release() {
        let released = state.withLock { state in
            defer {
                state.held.removeAll()
                state.released = true
            }
            return state.held
        }
        for (cache, stripe) in released { cache.release(stripe: stripe) }
    }
}

/// A cache the registry can reach by name.
protocol InvalidatableCache: Sendable {
    var name: String { get }
    func invalidate(described key: String)
    func removeAll()
}

/// One key of one cache, as a transaction records it for invalidation after commit.
public struct CacheKey: Hashable, Sendable {
    /// The cache's name.
    public let cache: String
    /// The key, as text.
    public let key: String

    public init(cache: String, key: String) {
        self.cache = cache
        self.key = key
    }
}

extension Duration {
    /// The duration in seconds, as `Date` arithmetic takes it.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
