/// How log lines are written.
public enum LogFormat: String, Sendable, CaseIterable {
    /// One JSON object a line, for machines.
    case json
    /// Human-readable lines.
    case text

    /// The format to write: the one chosen, else text when the log goes to a terminal (a
    /// person reads it) and JSON when it does not (a machine collects it).
    public static func resolved(_ chosen: LogFormat?, terminal: Bool) -> LogFormat {
        chosen ?? (terminal ? .text : .json)
    }
}
