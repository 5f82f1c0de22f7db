import ApusCore
import ApusModules
import Foundation
import Testing

/// `ShippedModules.all()` is the one list the `apus` command starts from: a module target the
/// package builds but the list forgets would never run, and a module listed twice would mount
/// its routes twice.
@Suite struct ShippedModulesTests {
    /// Targets under `Sources/` that are the platform or the binary, not modules.
    static let platformTargets: Set<String> = ["ApusCore", "ApusKit", "ApusModules", "ApusNode", "ApusTemplates", "ApusTesting", "CApusSHA", "apus"]

    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    @Test func eachModuleIsListedOnce() {
        let names = ShippedModules.all().map(\.name)
        #expect(Set(names).count == names.count, "listed more than once: \(names)")
        #expect(!names.isEmpty)
    }

    @Test func everyModuleTargetIsListed() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path)
            .filter { !$0.hasPrefix(".") && !Self.platformTargets.contains($0) }
        let listed = Set(ShippedModules.all().map(\.name))
        #expect(Set(folders.map { $0.lowercased() }) == listed, "module folders \(folders.sorted()) against the list \(listed.sorted())")
    }
}
