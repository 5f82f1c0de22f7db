import Foundation

/// Where the database lives: a SQLite file or a PostgreSQL server, parsed from `APUS_DATABASE_URL`.
public enum DatabaseLocation: Sendable, Equatable {
    /// A SQLite file at `path`.
    case sqlite(path: String)
    /// A PostgreSQL server.
    case postgres(PostgresLocation)

    /// The parts of a `postgres://user:password@host:port/database?sslmode=...` URL.
    public struct PostgresLocation: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String?
        /// `disable`, `prefer` (the default) or `require`.
        public var tlsMode: String
        /// The schema search path every connection starts with (`?search_path=`), if not the server's.
        public var searchPath: String?

        public init(host: String, port: Int = 5432, username: String, password: String?, database: String?, tlsMode: String = "prefer", searchPath: String? = nil) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.tlsMode = tlsMode
            self.searchPath = searchPath
        }
    }

    /// Parses `postgres://`, `postgresql://` or `sqlite://PATH` URLs; errors name `setting`.
    public init(url text: String, setting: String = "APUS_DATABASE_URL") throws(ConfigurationError) {
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw .invalid(setting, "sqlite:// needs a file path") }
            self = .sqlite(path: path)
            return
        }
        guard let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), ["postgres", "postgresql"].contains(scheme)
        else {
            throw .invalid(setting, "must start with postgres:// (or sqlite://)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .invalid(setting, "has no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw .invalid(setting, "has no user name")
        }
        let tlsMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard ["disable", "prefer", "require"].contains(tlsMode) else {
            throw .invalid(setting, "sslmode must be disable, prefer or require")
        }
        let searchPath = components.queryItems?.first { $0.name == "search_path" }?.value
        if let searchPath, !searchPath.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "," }) {
            throw .invalid(setting, "search_path may hold only letters, digits, _ and ,")
        }
        let database = components.path.split(separator: "/").first.map(String.init)
        self = .postgres(PostgresLocation(
            host: host,
            port: components.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database,
            tlsMode: tlsMode,
            searchPath: searchPath
        ))
    }
}

extension DatabaseLocation: CustomStringConvertible {
    /// A description without the password, safe to log.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite at \(path)"
        case .postgres(let location): "postgres at \(location.host):\(location.port)/\(location.database ?? location.username)"
        }
    }
}
