import ApusCore
import Foundation
import Prometheus
import ServiceLifecycle

/// Everything the links module holds while a node runs: its store, caches, click buffer and
/// secrets, made from the platform once.
final class LinksRuntime: Sendable {
    let store: LinkStore
    let cache: RedirectCache
    let clicks: ClickBuffer
    let secrets: InstallSecrets
    let targetPolicy: TargetURLPolicy
    let reserved: Set<String>
    let publicURL: String
    let redirects: Counter
    private let bus: any ClusterBus

    init(platform: Platform, reserved: Set<String>, blockedHosts: [String]) {
        let configuration = platform.configuration
        self.publicURL = configuration.effectivePublicURL
        self.store = LinkStore(database: platform.database, publicURL: publicURL, events: platform.events)
        self.cache = RedirectCache(metrics: platform.metrics)
        self.secrets = InstallSecrets(database: platform.database)
        self.clicks = ClickBuffer(database: platform.database, secrets: secrets, metrics: platform.metrics, logger: platform.logger(module: "links"))
        self.targetPolicy = TargetURLPolicy(blockedHosts: Set(blockedHosts), ownHost: URLComponents(string: publicURL)?.host?.lowercased())
        self.reserved = reserved
        self.redirects = platform.metrics.makeCounter(descriptor: .init(namespace: "apus", subsystem: "links", metricName: "redirects", unitName: "total", helpText: "Redirects served."))
        self.bus = platform.bus
    }

    /// Drops every node's cached answer for `code`.
    func announceChanged(_ code: String) async {
        cache.forget(code)
        try? await bus.publish(RedirectCache.channel, code)
    }

    /// Applies other nodes' changes to this node's cache until shutdown.
    struct CacheFollower: Service {
        let runtime: LinksRuntime

        func run() async throws {
            let messages = await runtime.bus.subscribe(RedirectCache.channel)
            await cancelWhenGracefulShutdown {
                await runtime.cache.follow(messages)
            }
        }
    }
}
