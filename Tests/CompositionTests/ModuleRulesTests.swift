@_spi(Platform) @testable import ApusCore
import ApusModules
import ApusTesting
import Foundation
import SQLKit
import Testing

/// The rules of the module contract that access control cannot express, checked over every
/// shipped module: what its source may not name, and the names of what it starts.
@Suite struct ModuleRulesTests {
    /// Each shipped module with its source folder (`Sources/Links` for `links`).
    static func moduleSources() throws -> [(module: any Module, files: [(path: String, text: String)])] {
        let sources = ModuleContractTests.repository.appendingPathComponent("Sources")
        let folders = try FileManager.default.contentsOfDirectory(atPath: sources.path)
        return try ShippedModules.all().map { module in
            guard let folder = folders.first(where: { $0.lowercased() == module.name }) else {
                throw SourceFolderMissing(module: module.name)
            }
            let root = sources.appendingPathComponent(folder)
            let paths = ((FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String]) ?? []).filter { $0.hasSuffix(".swift") }
            let files = try paths.sorted().map { path in
                (path: "\(folder)/\(path)", text: try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8))
            }
            return (module, files)
        }
    }

    struct SourceFolderMissing: Error { let module: String }

    /// Lines of `text` that match `pattern`, without comments' text.
    static func matches(_ pattern: String, in text: String) throws -> [String] {
        let expression = try Regex(pattern)
        return text.split(separator: "\n").map(String.init).filter { line in
            let code = line.trimmingCharacters(in: .whitespaces)
            return !code.hasPrefix("//") && code.contains(expression)
        }
    }

    /// No clock but the platform's, no environment but `platform.settings`, no way around the
    /// seam (the database itself, the platform's SPI).
    @Test func noModuleReadsTheClockOrTheEnvironmentOrReachesPastTheSeam() throws {
        let forbidden = [
            (#"\bDate\(\)"#, "reads the wall clock (use platform.now)"),
            (#"\bProcessInfo\b"#, "reads the process environment (use platform.settings)"),
            (#"@_spi\("#, "imports the platform's SPI"),
            (#"\bany Database\b|\bSQLiteBackend\b|\bPostgresBackend\b"#, "holds a database (use platform.transaction and platform.read)"),
        ]
        let sources = try Self.moduleSources()
        #expect(sources.allSatisfy { !$0.files.isEmpty })
        for (_, files) in sources {
            for file in files {
                for (pattern, why) in forbidden {
                    for line in try Self.matches(pattern, in: file.text) {
                        Issue.record("\(file.path) \(why): \(line.trimmingCharacters(in: .whitespaces))")
                    }
                }
            }
        }
    }

    /// A module's source names only its own tables: another module's, Identity's (`auth_`) and
    /// the platform's (`apus_`) are reached through events and the platform's protocols.
    @Test func noModuleNamesAnotherModulesTables() async throws {
        try await TestDatabase.withDatabase(.sqlite) { database in
            let server = try ApusServer(platform: Platform(configuration: ApusConfiguration(), database: database, logger: TestDatabase.logger), available: ShippedModules.all())
            try await server.openOwnDatabases()
            try await server.migrator.migrate()
            let tables = try await database.read { connection in
                try await connection.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all()
                    .map { try $0.decode(column: "name", as: String.self) }
            }
            #expect(tables.contains("apus_jobs") && tables.contains("links_links"))
            for (module, files) in try Self.moduleSources() {
                let others = tables.filter { !$0.hasPrefix(module.name + "_") }
                for file in files {
                    for table in others {
                        for line in try Self.matches(#"\b\#(table)\b"#, in: file.text) {
                            Issue.record("\(file.path) names the table \(table), not \(module.name)'s: \(line.trimmingCharacters(in: .whitespaces))")
                        }
                    }
                }
            }
        }
    }

    /// A bus channel a module publishes or subscribes to carries its name.
    @Test func everyBusChannelAModuleNamesCarriesItsName() throws {
        let channel = try Regex(#"(?:publish|subscribe)\(\s*"([^"]*)""#)
        for (module, files) in try Self.moduleSources() {
            for file in files {
                for match in file.text.matches(of: channel) {
                    let name = match.output[1].substring.map(String.init) ?? ""
                    #expect(name.hasPrefix(module.name + "."), "\(file.path) uses the bus channel \(name), not under \(module.name).")
                }
            }
        }
    }

    /// Started on a platform of its own, a module's job kinds, schedules, event consumers and
    /// caches carry its name, and the settings it reads are `APUS_<MODULE>_…` or one of the
    /// shared names listed in ``Settings/sharedNames``.
    @Test func whatAModuleStartsCarriesItsNameAndItsSettingsToo() async throws {
        try await TestDatabase.withDatabase(.sqlite) { database in
            var everyRead = Set<String>()
            for module in ShippedModules.all() {
                var configuration = ApusConfiguration()
                let (settings, namesRead) = configuration.settings.recordingReads()
                configuration.settings = settings
                let platform = Platform(configuration: configuration, database: database, logger: TestDatabase.logger)
                // A module with a database of its own finds it open before it starts.
                try await ApusServer(platform: platform, available: [module]).openOwnDatabases()
                let platformCaches = platform.caches.names
                let parts = try module.start(platform)
                let prefix = module.name + "."
                var names = parts.jobHandlers.map { ("job kind", $0.kind) } + parts.eventConsumers.map { ("event consumer", $0.name) }
                names += parts.recurringJobs.flatMap { [("schedule", $0.name), ("job kind", $0.job.kind)] }
                names += platform.caches.names.subtracting(platformCaches).map { ("cache", $0) }
                for (what, name) in names {
                    #expect(name.hasPrefix(prefix), "\(module.name) starts the \(what) \(name), not under \(prefix)")
                }
                let own = "APUS_\(module.name.uppercased())_"
                let read = namesRead()
                everyRead.formUnion(read)
                for name in read where !name.hasPrefix(own) {
                    #expect(Settings.sharedNames.keys.contains { name.hasPrefix($0) }, "\(module.name) reads \(name), neither \(own)… nor a shared name")
                }
            }
            // The reads were seen: each module reads settings of its own.
            #expect(everyRead.isSuperset(of: ["APUS_LINKS_BLOCKED_HOSTS", "APUS_UPLOADS_QUOTA", "APUS_INVENTORY_RESERVATION_TTL", "APUS_SMTP_URLS"]))
        }
    }
}
