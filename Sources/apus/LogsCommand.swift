@_spi(Platform) import ApusCore
import ApusModules
import ApusNode
import ArgumentParser
import Foundation
import Logs

/// `apus logs export`: stored lines out as NDJSON, for an archive or another store.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Logs.", subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write the lines a selector picks as NDJSON (tenant, timestamp, time, labels, line, metadata), tenant by tenant in time order."
        )

        @OptionGroup var options: ConfigurationOptions

        @Option(help: #"A log query: a stream selector with optional filters, such as {app="api"} |= "error"."#) var selector: String
        @Option(help: "Where the lines begin: RFC 3339, Unix seconds or nanoseconds (a day ago unless given).") var from: String?
        @Option(help: "Where they end, not included (now unless given).") var to: String?
        @Option(help: "Only this tenant (every tenant unless given).") var tenant: String?
        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

        func run() async throws {
            let node = try await NodeStartup.start(options, modules: ShippedModules.all)
            let platform = node.server.platform
            do {
                try await node.server.migrator.migrate()
                let handle: FileHandle
                if let output {
                    guard FileManager.default.createFile(atPath: output, contents: nil), let file = FileHandle(forWritingAtPath: output) else {
                        throw Problem.badRequest("cannot write \(output)")
                    }
                    handle = file
                } else {
                    handle = FileHandle.standardOutput
                }
                // Written in blocks: a write per line would cost a system call each.
                var buffer = Data()
                let count = try await LogsExport(platform: platform).run(selector: selector, from: from, to: to, tenant: tenant, write: { record in
                    buffer.append(contentsOf: record.utf8)
                    buffer.append(0x0A)
                    if buffer.count >= 1 << 16 {
                        handle.write(buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                }, progress: { fraction in ProgressBar.draw(fraction, "\(Int(fraction * 100))%") })
                handle.write(buffer)
                if output != nil { try handle.close() }
                await platform.database.close()
                if isatty(2) != 0 { FileHandle.standardError.write(Data("exported \(count) lines\n".utf8)) }
            } catch {
                await platform.database.close()
                throw NodeStartup.fail((error as? Problem)?.detail ?? "\(error)", code: .failure)
            }
        }
    }
}
