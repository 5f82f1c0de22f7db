import Foundation
public import Logging

/// Everything a node needs to start, read from `APUS_*` environment variables and overridden by
/// `apus serve` flags.
public struct ApusConfiguration: Sendable, Equatable {
    /// The address to listen on.
    public var host: String = "127.0.0.1"
    /// The port to listen on (0 picks a free one).
    public var port: Int = 8080
    /// Where the SQLite database and generated secrets live.
    public var dataDirectory: String = "./data"
    /// `postgres://...` for PostgreSQL; `nil` means SQLite in the data directory.
    public var databaseURL: String?
    /// A session connection to the same PostgreSQL database, not through a pooler in
    /// transaction mode (`APUS_DATABASE_DIRECT_URL`): the bus's `LISTEN` needs one. `nil`: the
    /// bus connects through `databaseURL`.
    public var databaseDirectURL: String?
    /// Streaming replicas that plain reads may go to (`APUS_DATABASE_REPLICA_URLS`, PostgreSQL only).
    public var replicas = ReplicaSettings()
    /// The public base URL, for short links and `Location` headers.
    public var publicURL: String?
    /// The modules this node runs; `nil` means all.
    public var modules: [String]?
    /// The least severe level logged.
    public var logLevel: Logger.Level = .info
    /// How log lines are written; `nil` (`APUS_LOG_FORMAT` unset) means readable text for a
    /// person at a terminal and JSON otherwise (``LogFormat/resolved(_:terminal:)``).
    public var logFormat: LogFormat?
    /// The first admin's email, created once.
    public var adminEmail: String?
    /// The first admin's password, created once.
    public var adminPassword: String?
    /// bcrypt's work factor for new password hashes.
    public var bcryptCost: UInt8 = 12
    /// How long an access token lives, in seconds.
    public var accessTokenLifetime: Double = 15 * 60
    /// How long a refresh token lives unused, in seconds.
    public var refreshTokenLifetime: Double = 30 * 24 * 3600
    /// Proxies whose `X-Forwarded-For` is believed (addresses or IPv4 CIDRs).
    public var trustedProxies: [String] = []
    /// Per client address, on registration, login and refresh.
    public var authRateLimit = RateLimitPolicy(name: "auth", limit: 10, window: 60)
    /// Per target email, on login (brute force against one account from many addresses).
    public var loginEmailRateLimit = RateLimitPolicy(name: "login-email", limit: 5, window: 60)
    /// Per API key, user or address, on every other API route.
    public var defaultRateLimit = RateLimitPolicy(name: "default", limit: 6000, window: 60)
    /// Failed authentications (a bad token or API key) per client address: past it, credentials
    /// from that address are refused with 429 before they cost a lookup.
    public var authFailureRateLimit = RateLimitPolicy(name: "auth-failures", limit: 60, window: 60)
    /// Per client address, on public routes outside the API such as short-link redirects: many
    /// visitors behind one NAT share an address, so it is generous.
    public var redirectRateLimit = RateLimitPolicy(name: "redirect", limit: 120_000, window: 60)
    /// Policies counted across every node sharing the database instead of per node.
    public var sharedRateLimits: Set<String> = []
    /// Seconds a connection may stay silent (no request, or a request's headers or body not
    /// moving on) before it is closed (`APUS_HTTP_IDLE_TIMEOUT`): slow or stalled clients
    /// cannot hold connections for ever.
    public var httpIdleTimeout: Double = 30
    /// Seconds a stopping node waits for requests in flight before closing what is left
    /// (`APUS_SHUTDOWN_GRACE`).
    public var shutdownGrace: Double = 10
    /// The job queue's schedule, concurrency and leases (`APUS_JOBS_*`).
    public var jobs = JobSettings()
    /// WebSocket limits and timeouts (`APUS_SOCKET_*`).
    public var sockets = SocketSettings()
    /// Browser origins allowed to call the API (`APUS_CORS_ORIGINS`); none by default.
    public var cors = CORSPolicy.disabled
    /// Every `APUS_*` variable, for the modules to read their own settings from.
    public var settings = Settings([:])
    /// The S3-compatible store files go to (`APUS_OBJECTS_URL` and its keys); `nil`: a directory
    /// under the data dir.
    public var objectStore: S3Location?

    /// Creates the default configuration.
    public init() {}

    /// Reads the `APUS_*` variables of `environment` over the defaults.
    public init(environment: [String: String]) throws(ConfigurationError) {
        self.init()
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        if let host = value("APUS_HOST") { self.host = host }
        if let port = value("APUS_PORT") { self.port = try Self.parsePort(port) }
        if let directory = value("APUS_DATA_DIR") { self.dataDirectory = directory }
        self.databaseURL = value("APUS_DATABASE_URL")
        self.databaseDirectURL = value("APUS_DATABASE_DIRECT_URL")
        self.publicURL = value("APUS_PUBLIC_URL")
        if let modules = value("APUS_MODULES") { self.modules = Self.parseModules(modules) }
        if let level = value("APUS_LOG_LEVEL") { self.logLevel = try Self.parseLogLevel(level) }
        if let format = value("APUS_LOG_FORMAT") { self.logFormat = try Self.parseLogFormat(format) }
        self.adminEmail = value("APUS_ADMIN_EMAIL")
        self.adminPassword = value("APUS_ADMIN_PASSWORD")
        if let cost = value("APUS_BCRYPT_COST") {
            guard let parsed = UInt8(cost), (4...31).contains(parsed) else { throw .invalid("APUS_BCRYPT_COST", "'\(cost)' is not 4-31") }
            self.bcryptCost = parsed
        }
        if let ttl = value("APUS_ACCESS_TOKEN_TTL") { self.accessTokenLifetime = try Self.parseSeconds(ttl, setting: "APUS_ACCESS_TOKEN_TTL") }
        if let ttl = value("APUS_REFRESH_TOKEN_TTL") { self.refreshTokenLifetime = try Self.parseSeconds(ttl, setting: "APUS_REFRESH_TOKEN_TTL") }
        if let proxies = value("APUS_TRUSTED_PROXIES") {
            self.trustedProxies = proxies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let limit = value("APUS_RATE_LIMIT_AUTH") { self.authRateLimit = try .parse(limit, name: "auth", setting: "APUS_RATE_LIMIT_AUTH") }
        if let limit = value("APUS_RATE_LIMIT_LOGIN_EMAIL") {
            self.loginEmailRateLimit = try .parse(limit, name: "login-email", setting: "APUS_RATE_LIMIT_LOGIN_EMAIL")
        }
        if let shared = value("APUS_RATE_LIMIT_SHARED") {
            self.sharedRateLimits = Set(Self.parseModules(shared))
            if let unknown = sharedRateLimits.first(where: { !["auth", "login-email", "default", "redirect"].contains($0) }) {
                throw .invalid("APUS_RATE_LIMIT_SHARED", "unknown policy '\(unknown)' (auth, login-email, default, redirect)")
            }
        }
        if let limit = value("APUS_RATE_LIMIT_DEFAULT") { self.defaultRateLimit = try .parse(limit, name: "default", setting: "APUS_RATE_LIMIT_DEFAULT") }
        // Read by `EventLoopExecutor.install` before anything else runs; checked here so a typo
        // stops the node with the other configuration errors.
        if let executor = value("APUS_EXECUTOR"), !["event-loops", "dispatch"].contains(executor) {
            throw .invalid("APUS_EXECUTOR", "must be dispatch (the default) or event-loops, not '\(executor)'")
        }
        if let loops = value("APUS_EVENT_LOOPS"), EventLoopExecutor.loopCount(["APUS_EVENT_LOOPS": loops]) == nil {
            throw .invalid("APUS_EVENT_LOOPS", "must be a whole number of event loops from 1 to \(EventLoopExecutor.maximumLoops), not '\(loops)'")
        }
        if let seconds = value("APUS_HTTP_IDLE_TIMEOUT") { self.httpIdleTimeout = try Self.parseSeconds(seconds, setting: "APUS_HTTP_IDLE_TIMEOUT") }
        if let seconds = value("APUS_SHUTDOWN_GRACE") { self.shutdownGrace = try Self.parseSeconds(seconds, setting: "APUS_SHUTDOWN_GRACE") }
        if let limit = value("APUS_RATE_LIMIT_AUTH_FAILURES") {
            self.authFailureRateLimit = try .parse(limit, name: "auth-failures", setting: "APUS_RATE_LIMIT_AUTH_FAILURES")
        }
        if let limit = value("APUS_RATE_LIMIT_REDIRECT") { self.redirectRateLimit = try .parse(limit, name: "redirect", setting: "APUS_RATE_LIMIT_REDIRECT") }
        if let origins = value("APUS_CORS_ORIGINS") { self.cors = try CORSPolicy.parse(origins) }
        self.jobs = try JobSettings(environment: environment)
        self.sockets = try SocketSettings(environment: environment)
        self.replicas = try ReplicaSettings(environment: environment)
        if let url = value("APUS_OBJECTS_URL") {
            self.objectStore = try S3Location.parse(url, accessKey: value("APUS_OBJECTS_ACCESS_KEY"), secretKey: value("APUS_OBJECTS_SECRET_KEY"))
        }
        self.settings = Settings(environment.filter { $0.key.hasPrefix("APUS_") })
    }

    /// The base URL links and `Location` headers are built on.
    public var effectivePublicURL: String {
        let base = publicURL ?? "http://\(host):\(port)"
        return base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    /// Checks what can be checked without I/O.
    public func validate() throws(ConfigurationError) {
        guard (0...65535).contains(port) else { throw .invalid("APUS_PORT", "\(port) is not a port (0-65535)") }
        guard !host.isEmpty else { throw .invalid("APUS_HOST", "must not be empty") }
        if let databaseURL { _ = try DatabaseLocation(url: databaseURL) }
        if let databaseDirectURL {
            guard case .postgres = try DatabaseLocation(url: databaseDirectURL, setting: "APUS_DATABASE_DIRECT_URL"),
                let databaseURL, case .postgres = try DatabaseLocation(url: databaseURL)
            else {
                throw .invalid("APUS_DATABASE_DIRECT_URL", "is a postgres:// URL beside a postgres:// APUS_DATABASE_URL")
            }
        }
        if !replicas.locations.isEmpty {
            guard let databaseURL, case .postgres = try DatabaseLocation(url: databaseURL) else {
                throw .invalid("APUS_DATABASE_REPLICA_URLS", "read replicas need PostgreSQL: set APUS_DATABASE_URL to its primary")
            }
        }
        _ = try ClientAddress(trustedProxies: trustedProxies)
        if let publicURL {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw .invalid("APUS_PUBLIC_URL", "must be an absolute http(s) URL")
            }
        }
    }

    /// Parses a port number.
    public static func parsePort(_ text: String) throws(ConfigurationError) -> Int {
        guard let port = Int(text), (0...65535).contains(port) else {
            throw .invalid("APUS_PORT", "'\(text)' is not a port (0-65535)")
        }
        return port
    }

    static func parseSeconds(_ text: String, setting: String) throws(ConfigurationError) -> Double {
        guard let seconds = Double(text), seconds > 0, seconds.isFinite else { throw .invalid(setting, "'\(text)' is not a positive number of seconds") }
        return seconds
    }

    /// Parses a comma-separated module list.
    public static func parseModules(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }

    /// Parses a log level name.
    public static func parseLogLevel(_ text: String) throws(ConfigurationError) -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalid("APUS_LOG_LEVEL", "'\(text)' is not one of \(names)")
        }
        return level
    }

    /// Parses a log format name.
    public static func parseLogFormat(_ text: String) throws(ConfigurationError) -> LogFormat {
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            throw .invalid("APUS_LOG_FORMAT", "'\(text)' is not json or text")
        }
        return format
    }
}

/// A configuration value that cannot be used, named so the operator can fix it.
public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The setting `name` is wrong for `reason`.
    case invalid(_ name: String, _ reason: String)

    public var description: String {
        switch self {
        case .invalid(let name, let reason): "invalid configuration: \(name): \(reason)"
        }
    }
}
