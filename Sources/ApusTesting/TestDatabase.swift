public import ApusCore
import Foundation
public import Logging

/// Opens a fresh, empty database of each engine for one test.
///
/// PostgreSQL comes from `APUS_TEST_POSTGRES_URL` (the test script starts a throwaway server and
/// sets it); each test gets its own schema, so tests never see each other's tables.
public enum TestDatabase {
    public static let logger: Logger = {
        var logger = Logger(label: "apus-test")
        logger.logLevel = .warning
        return logger
    }()

    public static func withDatabase<Result>(_ engine: DatabaseEngine, _ body: (any Database) async throws -> Result) async throws -> Result {
        let database = try await open(engine)
        do {
            let result = try await body(database)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }

    public static func open(_ engine: DatabaseEngine) async throws -> any Database {
        switch engine {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return try await SQLiteBackend.open(path: directory.appendingPathComponent("apus.sqlite").path, logger: logger)
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["APUS_TEST_POSTGRES_URL"] else {
                throw MissingPostgres()
            }
            guard case .postgres(let location) = try DatabaseLocation(url: url) else { throw MissingPostgres() }
            let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let admin = try await PostgresBackend.open(location, maximumConnections: 1, logger: logger)
            try await admin.write { try await $0.raw("CREATE SCHEMA \(unsafeRaw: schema)").run() }
            await admin.close()
            var scoped = location
            scoped.searchPath = schema
            return try await PostgresBackend.open(scoped, maximumConnections: 8, logger: logger)
        }
    }

    /// The streaming replica of the test PostgreSQL server (`APUS_TEST_POSTGRES_REPLICA_URL`,
    /// which the test script starts), scoped to the schema of `database`, a test database of
    /// this type.
    public static func replica(of database: any Database) throws -> DatabaseLocation.PostgresLocation {
        guard let url = ProcessInfo.processInfo.environment["APUS_TEST_POSTGRES_REPLICA_URL"],
            case .postgres(var location) = try DatabaseLocation(url: url)
        else { throw MissingReplica() }
        guard let primary = database as? PostgresBackend else { throw MissingReplica() }
        location.searchPath = primary.searchPath
        return location
    }

    /// The URL of the test PostgreSQL server, for tests that start a whole node.
    public static var postgresURL: String? { ProcessInfo.processInfo.environment["APUS_TEST_POSTGRES_URL"] }
}

public struct MissingReplica: Error, CustomStringConvertible {
    public var description: String {
        "APUS_TEST_POSTGRES_REPLICA_URL is not set: run the tests through scripts/test.sh, which starts a streaming replica"
    }
}

public struct MissingPostgres: Error, CustomStringConvertible {
    public var description: String {
        "APUS_TEST_POSTGRES_URL is not set: run the tests through scripts/test.sh, which starts PostgreSQL"
    }
}
