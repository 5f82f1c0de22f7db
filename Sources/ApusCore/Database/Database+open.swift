import Foundation
public import Logging

/// Opens the database a configuration names, with a message an operator can act on if it fails.
public enum DatabaseOpener {
    /// Opens PostgreSQL for a `postgres://` URL, else SQLite (`apus.sqlite` in the data directory,
    /// created if missing).
    public static func open(_ configuration: ApusConfiguration, logger: Logger) async throws -> any Database {
        let location: DatabaseLocation
        if let url = configuration.databaseURL {
            location = try DatabaseLocation(url: url)
        } else {
            let directory = configuration.dataDirectory
            try ensureWritableDirectory(directory)
            location = .sqlite(path: URL(fileURLWithPath: directory).appendingPathComponent("apus.sqlite").path)
        }
        switch location {
        case .sqlite(let path):
            do {
                return try await SQLiteBackend.open(path: path, logger: logger)
            } catch {
                throw ConfigurationError.invalid("APUS_DATABASE_URL", "cannot open \(location): \(error)")
            }
        case .postgres(let postgres):
            var direct: DatabaseLocation.PostgresLocation?
            if let url = configuration.databaseDirectURL, case .postgres(let location) = try DatabaseLocation(url: url, setting: "APUS_DATABASE_DIRECT_URL") {
                direct = location
            }
            do {
                return try await PostgresBackend.open(postgres, direct: direct, logger: logger)
            } catch {
                throw ConfigurationError.invalid("APUS_DATABASE_URL", "cannot reach \(location): \(String(reflecting: error).prefix(300))")
            }
        }
    }

    /// Creates `path` if missing and checks that a file can be written in it.
    public static func ensureWritableDirectory(_ path: String) throws(ConfigurationError) {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .invalid("APUS_DATA_DIR", "cannot create \(path)")
        }
        let probe = URL(fileURLWithPath: path).appendingPathComponent(".write-probe-\(UUID().uuidString)").path
        guard manager.createFile(atPath: probe, contents: Data()) else {
            throw .invalid("APUS_DATA_DIR", "\(path) is not writable")
        }
        try? manager.removeItem(atPath: probe)
    }
}
