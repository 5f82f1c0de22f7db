@_spi(Platform) import ApusCore
import ApusModules
import ApusNode
import ArgumentParser

/// `apus keys rotate`: add a new token signing key.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Manage token signing keys.", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a signing key. Nodes sign with it from their next key reload; older keys keep verifying until their tokens expire."
        )

        @OptionGroup var options: ConfigurationOptions

        func run() async throws {
            let node = try await NodeStartup.start(options, modules: ShippedModules.all)
            let server = node.server
            try await server.migrator.migrate()
            // Keys stay while any token they signed can still be valid.
            let kid = try await SigningKeys.rotate(database: server.platform.database, retention: node.configuration.accessTokenLifetime)
            try await server.platform.bus.publish(SigningKeys.channel, kid)
            await server.platform.database.close()
            print("new signing key \(kid)")
        }
    }
}
