import ApusCore
import ApusModules
import ApusNode
import ArgumentParser
import Foundation
import ReleaseDrill

/// `apus-release-drill`: `apus serve` and `apus migrate` with every shipped module plus one
/// release of ``BookmarksRelease``, chosen by `APUS_DRILL_RELEASE` (0 to 4, default 0). The
/// cluster test deploys its releases one after another behind the balancer, as
/// `docs/deploying.md` describes, under load.
@main
struct ReleaseDrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apus-release-drill",
        abstract: "Apus with one release of docs/deploying.md's example module (APUS_DRILL_RELEASE).",
        version: ApusServer.version,
        subcommands: [ServeCommand<DrillModules>.self, MigrateCommand<DrillModules>.self],
        defaultSubcommand: ServeCommand<DrillModules>.self
    )

    static func main() async {
        EventLoopExecutor.install()
        await main(nil)
    }
}

/// The shipped modules and the release of the bookmarks module `APUS_DRILL_RELEASE` names.
enum DrillModules: ModuleCatalog {
    static func modules() throws(ConfigurationError) -> [any Module] {
        let text = ProcessInfo.processInfo.environment["APUS_DRILL_RELEASE"] ?? "0"
        guard let release = Int(text), (0...BookmarksRelease.latest).contains(release) else {
            throw .invalid("APUS_DRILL_RELEASE", "must be a release from 0 to \(BookmarksRelease.latest), not '\(text)'")
        }
        return ShippedModules.all() + [BookmarksRelease(release: release)]
    }
}
