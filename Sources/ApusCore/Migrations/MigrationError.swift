/// Why migrations could not be planned or applied.
public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Migrations depend on each other in a cycle.
    case cycle([MigrationID])
    /// A migration depends on one that no module declares.
    case missingDependency(MigrationID, missing: MigrationID)
    /// Two migrations share an id.
    case duplicate(MigrationID)
    /// An applied migration's SQL has changed since it was applied.
    case checksumMismatch(MigrationID, recorded: String, current: String)
    /// A migration's statement failed.
    case failed(MigrationID, reason: String)

    public var description: String {
        switch self {
        case .cycle(let members):
            "migration dependency cycle among: \(members.map(\.description).joined(separator: ", "))"
        case .missingDependency(let id, let missing):
            "migration \(id) depends on \(missing), which no module declares"
        case .duplicate(let id):
            "migration \(id) is declared twice"
        case .checksumMismatch(let id, let recorded, let current):
            "applied migration \(id) has changed since it was applied (checksum \(recorded.prefix(12)) recorded, \(current.prefix(12)) now); add a new migration instead of editing an applied one"
        case .failed(let id, let reason):
            "migration \(id) failed: \(reason)"
        }
    }
}
