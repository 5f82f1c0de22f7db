import Synchronization

/// Every event type the shipped modules declare, whichever of them this node runs (a webhook
/// may subscribe to events that another node's modules emit).
///
/// Filled once, when the node is composed; until then (a platform used on its own, as in a
/// unit test) it permits any type.
public final class EventCatalogue: Sendable {
    private struct State {
        var declarations: [String: EventDeclaration] = [:]
        var sealed = false
    }

    private let state = Mutex(State())

    init() {}

    /// Every declared event, by type.
    public var all: [EventDeclaration] {
        state.withLock { $0.declarations.values.sorted { $0.type < $1.type } }
    }

    /// Whether `pattern` names a declared type: the type itself, `*`, or `prefix.*` when at
    /// least one declared type starts with `prefix.`.
    public func matches(_ pattern: String) -> Bool {
        state.withLock { state in
            if pattern == "*" || state.declarations[pattern] != nil { return true }
            guard pattern.hasSuffix(".*") else { return false }
            let prefix = pattern.dropLast()
            return state.declarations.keys.contains { $0.hasPrefix(prefix) }
        }
    }

    /// Whether an event of `type` may be written: it is declared, or the catalogue is not filled.
    func permits(_ type: String) -> Bool {
        state.withLock { !$0.sealed || $0.declarations[type] != nil }
    }

    /// Adds `declarations` and from then on permits only declared types.
    func declare(_ declarations: [EventDeclaration]) {
        state.withLock { state in
            for declaration in declarations { state.declarations[declaration.type] = declaration }
            state.sealed = true
        }
    }
}

/// An event whose type no shipped module declares (``Module/events``).
public struct UndeclaredEvent: Error, CustomStringConvertible {
    public var type: String
    public var description: String { "no module declares the event type \(type); add it to the module's events" }
}
