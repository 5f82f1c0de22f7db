@_spi(Platform) import ApusCore
import ApusModules
import ApusNode
import ArgumentParser
import Foundation

/// `apus user create`: make an account from the command line (the first admin, typically).
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage accounts.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account; the password is read from standard input.")

        @OptionGroup var options: ConfigurationOptions

        @Option(help: "The account's email address.")
        var email: String

        @Option(help: "A role: admin, editor, author or viewer (repeatable).")
        var role: [String] = ["viewer"]

        func run() async throws {
            let roles = try role.map { name -> Role in
                guard let role = Role(rawValue: name.lowercased()) else {
                    throw NodeStartup.fail("unknown role '\(name)' (admin, editor, author, viewer)", code: .validationFailure)
                }
                return role
            }
            guard let normalized = EmailAddress.normalize(email) else {
                throw NodeStartup.fail("'\(email)' is not an email address", code: .validationFailure)
            }
            if isatty(0) != 0 { FileHandle.standardError.write(Data("Password: ".utf8)) }
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                throw NodeStartup.fail("no password on standard input", code: .validationFailure)
            }
            if let reason = PasswordPolicy.violation(password, email: normalized) {
                throw NodeStartup.fail("the password \(reason)", code: .validationFailure)
            }
            let node = try await NodeStartup.start(options, modules: ShippedModules.all)
            let server = node.server
            do {
                try await server.migrator.migrate()
                let identity = server.identity
                let user = try await identity.users.create(email: normalized, passwordHash: try await identity.hasher.hash(password), roles: roles)
                await server.platform.database.close()
                print("created \(user.id) \(user.email) \(user.roles.map(\.rawValue).joined(separator: ","))")
            } catch {
                await server.platform.database.close()
                throw NodeStartup.fail((error as? Problem)?.detail ?? "\(error)", code: .failure)
            }
        }
    }
}
