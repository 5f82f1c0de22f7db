import ApusCore
import ApusKit
import Foundation
import Prometheus
import Synchronization

/// Node-local memory of codes → targets for the redirect hot path, including short-lived
/// "no such code" entries so a scan of random codes cannot hammer the database. Changes and
/// deletions reach every node over the bus.
final class RedirectCache: Sendable {
    enum Entry: Sendable {
        case found(LinkStore.Target)
        case missing(until: ContinuousClock.Instant)
    }

    private let entries: Mutex<LRUCache<String, Entry>>
    private let negativeLifetime: Duration
    private let hits: Counter
    private let misses: Counter

    static let channel = "links"

    init(metrics: PrometheusCollectorRegistry, capacity: Int = 100_000, negativeLifetime: Duration = .seconds(5)) {
        self.entries = Mutex(LRUCache(capacity: capacity))
        self.negativeLifetime = negativeLifetime
        self.hits = metrics.makeCounter(descriptor: .init(namespace: "apus", subsystem: "links", metricName: "cache_hits", unitName: "total", helpText: "Redirects answered from the node cache."))
        self.misses = metrics.makeCounter(descriptor: .init(namespace: "apus", subsystem: "links", metricName: "cache_misses", unitName: "total", helpText: "Redirects that had to ask the database."))
    }

    /// The cached answer for `code`, if any and still fresh.
    func lookup(_ code: String) -> Entry? {
        let entry: Entry? = entries.withLock { entries in
            guard let entry = entries.get(code) else { return nil }
            if case .missing(let until) = entry, until < .now {
                entries.remove(code)
                return nil
            }
            return entry
        }
        (entry == nil ? misses : hits).increment()
        return entry
    }

    func store(_ code: String, _ target: LinkStore.Target?) {
        let entry: Entry = target.map { .found($0) } ?? .missing(until: .now + negativeLifetime)
        entries.withLock { _ = $0.put(code, entry) }
    }

    func forget(_ code: String) {
        entries.withLock { _ = $0.remove(code) }
    }

    func follow(_ messages: AsyncStream<ClusterMessage>) async {
        for await message in messages {
            switch message {
            case .message(let code): forget(code)
            case .resynchronize: entries.withLock { $0.removeAll() }
            }
        }
    }
}
