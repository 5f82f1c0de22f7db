/// Read replicas (`APUS_DATABASE_REPLICA_URLS`) and when one is taken out.
public struct ReplicaSettings: Sendable, Equatable {
    /// Streaming replicas of `APUS_DATABASE_URL`, from the comma-separated `postgres://` URLs
    /// of `APUS_DATABASE_REPLICA_URLS`; none by default.
    public var locations: [DatabaseLocation.PostgresLocation] = []
    /// Seconds a replica may lag before reads stop going to it (`APUS_REPLICA_MAX_LAG`).
    public var maxLag: Double = 5
    /// Seconds between two checks of every replica's position (`APUS_REPLICA_CHECK_INTERVAL`).
    public var checkInterval: Double = 1
    /// Seconds a read waits for a replica before the primary answers it instead (a replica
    /// that went away between two checks leaves its pool waiting for a connection).
    public var readTimeout: Double = 5
    /// Connections to each replica.
    public var maximumConnections = 20

    public init() {}

    public init(environment: [String: String]) throws(ConfigurationError) {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        if let urls = value("APUS_DATABASE_REPLICA_URLS") {
            for url in urls.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !url.isEmpty {
                guard case .postgres(let location) = try DatabaseLocation(url: url, setting: "APUS_DATABASE_REPLICA_URLS") else {
                    throw .invalid("APUS_DATABASE_REPLICA_URLS", "replicas are PostgreSQL servers (postgres://)")
                }
                locations.append(location)
            }
        }
        if let lag = value("APUS_REPLICA_MAX_LAG") { self.maxLag = try ApusConfiguration.parseSeconds(lag, setting: "APUS_REPLICA_MAX_LAG") }
        if let interval = value("APUS_REPLICA_CHECK_INTERVAL") {
            self.checkInterval = try ApusConfiguration.parseSeconds(interval, setting: "APUS_REPLICA_CHECK_INTERVAL")
        }
    }
}
