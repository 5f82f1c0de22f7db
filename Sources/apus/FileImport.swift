@_spi(Platform) import ApusCore
import ApusModules
import ApusNode
import ArgumentParser
import Foundation

/// What the import commands share: read a UTF-8 file, start on the configured storage,
/// migrate, import, name each refused line on standard error, and exit 1 when any was refused.
enum FileImport {
    static func run(
        file: String, options: ConfigurationOptions,
        _ body: @Sendable (Platform, String) async throws -> (summary: String, refused: [(line: Int, reason: String)])
    ) async throws {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw NodeStartup.fail("cannot read \(file) as UTF-8 text", code: .validationFailure)
        }
        let node = try await NodeStartup.start(options, modules: ShippedModules.all)
        let platform = node.server.platform
        do {
            try await node.server.migrator.migrate()
            let (summary, refused) = try await body(platform, text)
            await platform.database.close()
            for refusal in refused.prefix(50) {
                FileHandle.standardError.write(Data("line \(refusal.line): \(refusal.reason)\n".utf8))
            }
            print(summary)
            if !refused.isEmpty { throw ExitCode(1) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            await platform.database.close()
            throw NodeStartup.fail((error as? Problem)?.detail ?? "\(error)", code: .failure)
        }
    }
}

/// A progress bar on standard error when it is a terminal; nothing otherwise, so logs and
/// pipes stay readable. A label shorter than the one before should be padded by the caller.
enum ProgressBar {
    static func draw(_ fraction: Double, _ label: String) {
        guard isatty(2) != 0 else { return }
        let width = 30
        let filled = max(0, min(width, Int(fraction * Double(width))))
        let text = "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] " + label
        FileHandle.standardError.write(Data(text.utf8))
        if fraction >= 1 { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
