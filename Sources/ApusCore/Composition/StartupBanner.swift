/// What `apus serve` tells a person who started it at a terminal: where the API and its
/// document are, which database and modules it runs, and, until an admin exists, how to make
/// one. A machine reading the output (no terminal) gets log lines only.
package struct StartupBanner: Sendable, Equatable {
    package var version: String
    /// The base URL the node answers on.
    package var baseURL: String
    /// The database, said for a person: "SQLite in ./data" or "PostgreSQL at host:port/db".
    package var database: String
    package var modules: [String]
    package var hasAdmin: Bool

    package init(version: String, baseURL: String, database: String, modules: [String], hasAdmin: Bool) {
        self.version = version
        self.baseURL = baseURL
        self.database = database
        self.modules = modules
        self.hasAdmin = hasAdmin
    }

    /// The lines, ready to print.
    package var text: String {
        var lines = [
            "apus \(version) is serving \(baseURL)",
            "  API       \(baseURL)/v1  (OpenAPI document: \(baseURL)/v1/openapi.json)",
            "  health    \(baseURL)/health/ready   metrics \(baseURL)/metrics",
            "  database  \(database)",
            "  modules   \(modules.isEmpty ? "none (identity and jobs only)" : modules.joined(separator: ", "))",
        ]
        if !hasAdmin {
            lines += [
                "  No admin yet. Make the first one with",
                "    apus user create --email you@example.com --role admin   (reads the password from standard input)",
                "  or start with APUS_ADMIN_EMAIL and APUS_ADMIN_PASSWORD set.",
            ]
        }
        lines.append("  Stop with Ctrl-C.")
        return lines.joined(separator: "\n") + "\n"
    }
}
