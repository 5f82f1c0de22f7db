import Foundation
import Synchronization

/// The node's `APUS_*` settings as modules read them: one way to read, validate and report a
/// setting, so that a bad value stops the node with one line naming the variable.
///
/// A module reads its settings in ``Module/start(_:)``, so a node that does not run the module
/// (or `apus migrate`) is never stopped by that module's settings.
public struct Settings: Sendable, Equatable {
    private let environment: [String: String]
    /// The names read so far, when someone asked to know (the module contract tests).
    private let reads: ReadNames?

    /// Settings read from `environment` (usually the process environment).
    public init(_ environment: [String: String]) {
        self.environment = environment
        self.reads = nil
    }

    private init(_ environment: [String: String], reads: ReadNames) {
        self.environment = environment
        self.reads = reads
    }

    /// The same settings, noting the name of every setting read through them in `names`.
    package func recordingReads() -> (settings: Settings, names: @Sendable () -> Set<String>) {
        let reads = ReadNames()
        return (Settings(environment, reads: reads), { reads.names.withLock { $0 } })
    }

    public static func == (lhs: Settings, rhs: Settings) -> Bool { lhs.environment == rhs.environment }

    /// Settings a module reads whose names do not start with `APUS_<MODULE>_`, each with why:
    /// the platform's outbound HTTP client settings, which every module calling out shares, and
    /// names Notifications had before settings carried their module's name.
    public static let sharedNames: [String: String] = [
        "APUS_EGRESS_": "the outbound HTTP client's timeouts, shared by every module that calls out",
        "APUS_SMTP_": "Notifications' mail providers, named before settings carried their module",
        "APUS_WEBHOOK_DISABLE_AFTER_SECONDS": "Notifications' webhook health rule, named before settings carried their module",
    ]

    /// The value of `name`, trimmed; `nil` when unset or blank.
    public func string(_ name: String) -> String? {
        reads?.names.withLock { _ = $0.insert(name) }
        guard let raw = environment[name] else { return nil }
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// A comma-separated list, lower-cased, blanks dropped; empty when unset.
    public func list(_ name: String) -> [String] {
        string(name).map(ApusConfiguration.parseModules) ?? []
    }

    /// `transform` of the value of `name`, or `nil` when unset; whatever `transform` throws is
    /// reported as an invalid `name`.
    public func parse<Value>(_ name: String, _ transform: (String) throws -> Value) throws(ConfigurationError) -> Value? {
        guard let text = string(name) else { return nil }
        do {
            return try transform(text)
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw .invalid(name, "\(error)")
        }
    }

    /// A positive, finite number of seconds, or `defaultValue` when unset.
    /// A switch: `on`, `true`, `yes`, `1` or `off`, `false`, `no`, `0` (any case); `defaultValue`
    /// when unset, an error naming the setting otherwise.
    public func flag(_ name: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        try parse(name) { text throws(ConfigurationError) in
            switch text.lowercased() {
            case "1", "true", "on", "yes": return true
            case "0", "false", "off", "no": return false
            default: throw .invalid(name, "'\(text)' is not on or off")
            }
        } ?? defaultValue
    }

    public func seconds(_ name: String, default defaultValue: Double) throws(ConfigurationError) -> Double {
        guard let text = string(name) else { return defaultValue }
        return try ApusConfiguration.parseSeconds(text, setting: name)
    }

    /// A duration given in whole or fractional seconds, or `defaultValue` when unset.
    public func duration(_ name: String, default defaultValue: Duration) throws(ConfigurationError) -> Duration {
        guard let text = string(name) else { return defaultValue }
        return .milliseconds(Int64((try ApusConfiguration.parseSeconds(text, setting: name) * 1000).rounded()))
    }

    /// A whole number in `range`, or `defaultValue` when unset.
    public func integer(_ name: String, in range: ClosedRange<Int>, default defaultValue: Int) throws(ConfigurationError) -> Int {
        guard let text = string(name) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw .invalid(name, "'\(text)' is not a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }
}

/// The setting names read through one ``Settings`` value.
private final class ReadNames: Sendable {
    let names = Mutex<Set<String>>([])
}
