public import ApusCore

/// The modules a binary is built with: what `APUS_MODULES` picks among. The `apus` binary's
/// catalog is every shipped module; another binary built on ``ServeCommand`` (an example, a
/// team's own build with a module of its own) names its own.
public protocol ModuleCatalog {
    /// A fresh instance of every module this binary has. Throws a ``ConfigurationError`` when a
    /// setting the catalog itself reads is unusable.
    static func modules() throws(ConfigurationError) -> [any Module]
}
