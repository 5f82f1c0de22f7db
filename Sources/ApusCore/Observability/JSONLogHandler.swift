import Foundation
public import Logging

/// Writes one JSON object a line to standard error: `time`, `level`, `message`, `label`, and every
/// metadata field (`request_id`, `trace_id`, `module`, ...) at the top level.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: LogSink

    /// A handler for `label` that writes to `sink`.
    public init(label: String, sink: LogSink = .standardError) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        RequestLogScope.add(to: &fields)
        var line = "{\"time\":\"\(Timestamp.format(Date()))\",\"level\":\"\(event.level.rawValue)\",\"message\":"
        Self.appendJSONString(String(describing: event.message), to: &line)
        line += ",\"label\":"
        Self.appendJSONString(label, to: &line)
        for key in fields.keys.sorted() where !["time", "level", "message", "label"].contains(key) {
            line += ","
            Self.appendJSONString(key, to: &line)
            line += ":"
            Self.append(fields[key]!, to: &line)
        }
        line += "}\n"
        sink.write(line)
        LogTap.offer(level: event.level, message: event.message, label: label, metadata: fields)
    }

    private static func append(_ value: Logger.MetadataValue, to line: inout String) {
        switch value {
        case .string(let text): appendJSONString(text, to: &line)
        case .stringConvertible(let value): appendJSONString(value.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                append(element, to: &line)
            }
            line += "]"
        case .dictionary(let values):
            line += "{"
            for (index, key) in values.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                appendJSONString(key, to: &line)
                line += ":"
                append(values[key]!, to: &line)
            }
            line += "}"
        }
    }

    /// Appends `text` as a JSON string literal.
    static func appendJSONString(_ text: String, to line: inout String) {
        line += JSONStringLiteral.quoted(text)
    }
}

/// Where log lines go: standard error, or a closure (tests).
public struct LogSink: Sendable {
    private let writeLine: @Sendable (String) -> Void

    /// A sink that calls `write` with each line.
    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.writeLine = write
    }

    func write(_ line: String) { writeLine(line) }

    /// Standard error; one `write(2)` a line, so lines from many threads never interleave.
    public static let standardError = LogSink { line in
        var line = line
        line.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }
}

/// Installs the process-wide log handler for `format` at `level`. Call once, at start.
public enum LoggingSetup {
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            case .text:
                var handler = TappedLogHandler(inner: StreamLogHandler.standardError(label: label, metadataProvider: RequestLogScope.metadataProvider), label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
