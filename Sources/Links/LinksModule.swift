public import ApusCore
import Foundation
import HTTPTypes
public import Hummingbird
public import ServiceLifecycle
import Synchronization

/// Short links with click analytics: `POST /v1/links`, and `GET /{code}` redirects.
public final class LinksModule: Module, Sendable {
    public let name = "links"
    private let runtime = Mutex<LinksRuntime?>(nil)
    private let settings: Settings

    /// What the module reads from its environment.
    public struct Settings: Sendable {
        /// Hosts (and their subdomains) no link may point at (`APUS_LINKS_BLOCKED_HOSTS`).
        public var blockedHosts: [String]
        /// A header a trusted edge sets to the client's country (`APUS_LINKS_COUNTRY_HEADER`, e.g. `CF-IPCountry`).
        public var countryHeader: String?

        public init(blockedHosts: [String] = [], countryHeader: String? = nil) {
            self.blockedHosts = blockedHosts
            self.countryHeader = countryHeader
        }

        /// The settings in the process environment.
        public static var fromEnvironment: Settings {
            let environment = ProcessInfo.processInfo.environment
            return Settings(
                blockedHosts: environment["APUS_LINKS_BLOCKED_HOSTS"].map(ApusConfiguration.parseModules) ?? [],
                countryHeader: environment["APUS_LINKS_COUNTRY_HEADER"].flatMap { $0.isEmpty ? nil : $0 }
            )
        }
    }

    /// Creating and managing one's own links (any signed-in role).
    public static let manageLinks = Permission("links.manage", roles: Set(Role.allCases))

    /// Words no alias may take, besides every first path segment a route uses.
    static let reservedWords: Set<String> = ["v1", "v2", "api", "health", "metrics", ".well-known", "admin", "static", "assets", "favicon.ico", "robots.txt", "sitemap.xml"]

    public init(settings: Settings = .fromEnvironment) {
        self.settings = settings
    }

    public var migrations: [Migration] { LinksMigrations.all }
    public var permissions: [Permission] { [Self.manageLinks] }
    public var openAPI: OpenAPIFragment { LinksOpenAPI.fragment }

    public func addRoutes(to router: Router<ApusRequestContext>, platform: Platform) throws {
        let firstSegments = router.routes.compactMap { $0.path.description.split(separator: "/").first.map { $0.lowercased() } }
        let runtime = LinksRuntime(platform: platform, reserved: Self.reservedWords.union(firstSegments), blockedHosts: settings.blockedHosts)
        self.runtime.withLock { $0 = runtime }
        LinkRoutes(runtime: runtime).add(to: router)
        let countryHeader = settings.countryHeader.flatMap { HTTPField.Name($0) }
        RedirectRoute(runtime: runtime, clientAddress: try ClientAddress(trustedProxies: platform.configuration.trustedProxies), countryHeader: countryHeader)
            .add(to: router)
    }

    /// Writes buffered clicks now (tests; in service the buffer flushes itself).
    func flushClicks() async {
        await runtime.withLock({ $0 })?.clicks.flush()
    }

    public func services(platform: Platform) -> [any Service] {
        guard let runtime = runtime.withLock({ $0 }) else { return [] }
        return [runtime.clicks, LinksRuntime.CacheFollower(runtime: runtime)]
    }
}
