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
        let settings = Settings(environment)
        for url in settings.string("APUS_DATABASE_REPLICA_URLS")?.split(separator: ",") ?? [] {
            let url = url.trimmingCharacters(in: .whitespaces)
            guard !url.isEmpty else { continue }
            guard case .postgres(let location) = try DatabaseLocation(url: url, setting: "APUS_DATABASE_REPLICA_URLS") else {
                throw .invalid("APUS_DATABASE_REPLICA_URLS", "replicas are PostgreSQL servers (postgres://)")
            }
            locations.append(location)
        }
        maxLag = try settings.seconds("APUS_REPLICA_MAX_LAG", default: maxLag)
        checkInterval = try settings.seconds("APUS_REPLICA_CHECK_INTERVAL", default: checkInterval)
    }
}
