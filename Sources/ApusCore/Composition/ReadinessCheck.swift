/// Whether the node can serve: the database answers and every migration is applied.
actor ReadinessCheck {
    private let database: any Database
    private let migrator: Migrator
    // Applied migrations stay applied, so once seen the check is only a ping.
    private var migrationsApplied = false

    init(database: any Database, migrator: Migrator) {
        self.database = database
        self.migrator = migrator
    }

    /// `nil` when ready, else why not.
    func problem() async -> String? {
        do {
            try await database.ping()
        } catch {
            return "The database does not answer."
        }
        if !migrationsApplied {
            do {
                let pending = try await migrator.pending()
                guard pending.isEmpty else {
                    return "\(pending.count) migration(s) pending: \(pending.prefix(10).map(\.description).joined(separator: ", "))."
                }
                migrationsApplied = true
            } catch {
                return "Migrations cannot be checked: \(error)."
            }
        }
        return nil
    }
}
