import ApusCore
import ApusNode
import ArgumentParser
import Testing

/// `apus serve` and `apus migrate` over a catalog of modules: their names and flags whatever the
/// catalog, the flags over the environment, and a catalog that cannot start stopping the
/// command with one line before anything opens.
@Suite struct NodeCommandsTests {
    enum NoModules: ModuleCatalog {
        static func modules() -> [any Module] { [] }
    }

    enum Unusable: ModuleCatalog {
        static func modules() throws(ConfigurationError) -> [any Module] {
            throw .invalid("APUS_EXAMPLE", "cannot be used")
        }
    }

    @Test func theCommandsKeepTheirNamesAndFlagsWhateverTheCatalog() throws {
        #expect(ServeCommand<NoModules>.configuration.commandName == "serve")
        #expect(MigrateCommand<NoModules>.configuration.commandName == "migrate")
        let serve = try ServeCommand<NoModules>.parse(["--no-migrate", "--port", "9001"])
        #expect(serve.noMigrate)
        #expect(serve.options.port == "9001")
        #expect(try MigrateCommand<NoModules>.parse(["--status"]).status)
        #expect(throws: (any Error).self) { try ServeCommand<NoModules>.parse(["--status"]) }
    }

    @Test func flagsOverrideTheEnvironmentAndAreChecked() throws {
        let options = try ConfigurationOptions.parse(["--port", "9002", "--modules", "links, chat", "--log-format", "json"])
        let configuration = try options.resolve()
        #expect(configuration.port == 9002)
        #expect(configuration.modules == ["links", "chat"])
        #expect(configuration.logFormat == .json)
        #expect(throws: ConfigurationError.self) { try ConfigurationOptions.parse(["--port", "70000"]).resolve() }
    }

    @Test func aCatalogThatCannotStartStopsTheCommandAsABadSetting() async throws {
        let options = try ConfigurationOptions.parse(["--data-dir", "/nonexistent/never-created"])
        await #expect(throws: ExitCode.validationFailure) { _ = try await NodeStartup.start(options, modules: Unusable.modules) }
    }
}
