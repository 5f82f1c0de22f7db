import ApusKit
import Crypto
import Foundation

/// Names one migration: the module that owns it and its name within the module.
public struct MigrationID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The owning module, also the prefix of its tables.
    public let module: String
    /// A name that sorts in the order the module wrote them, such as `0001_create_links`.
    public let name: String

    public init(module: String, name: String) {
        self.module = module
        self.name = name
    }

    public var description: String { "\(module)/\(name)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.module, lhs.name) < (rhs.module, rhs.name)
    }
}

/// One versioned schema change: SQL statements per engine, applied once in a transaction.
///
/// Once applied, a migration must never change: its checksum is recorded and a changed one stops
/// the server from starting. Production changes go expand → migrate → contract, each a migration.
public struct Migration: Sendable {
    /// Who owns it and what it is called.
    public let id: MigrationID
    /// Migrations (of any module) that must be applied first.
    public let dependencies: [MigrationID]
    private let sqliteStatements: [String]
    private let postgresStatements: [String]
    /// Checksums of earlier texts of this migration that installs may have recorded.
    public private(set) var formerChecksums: Set<String> = []

    /// A migration whose SQL differs between engines.
    public init(module: String, name: String, dependsOn dependencies: [MigrationID] = [], sqlite: [String], postgres: [String]) {
        self.id = MigrationID(module: module, name: name)
        self.dependencies = dependencies
        self.sqliteStatements = sqlite
        self.postgresStatements = postgres
    }

    /// A migration whose SQL is the same on both engines.
    public init(module: String, name: String, dependsOn dependencies: [MigrationID] = [], statements: [String]) {
        self.init(module: module, name: name, dependsOn: dependencies, sqlite: statements, postgres: statements)
    }

    /// The statements to run on `engine`.
    public func statements(for engine: DatabaseEngine) -> [String] {
        switch engine {
        case .sqlite: sqliteStatements
        case .postgres: postgresStatements
        }
    }

    /// This migration after its text was rewritten in a way that leaves every install with the
    /// same schema once the later migrations have run (it no longer creates a constraint that a
    /// later migration drops, say). An install that recorded one of `checksums` accepts the new
    /// text and records its checksum; any other change still stops the server.
    public func rewritten(from checksums: Set<String>) -> Migration {
        var migration = self
        migration.formerChecksums = checksums
        return migration
    }

    /// SHA-256 of the statements for `engine`, hex-encoded.
    public func checksum(for engine: DatabaseEngine) -> String {
        let text = statements(for: engine).joined(separator: "\n;\n")
        return SHA256.hash(data: Data(text.utf8)).hexEncoded
    }
}
