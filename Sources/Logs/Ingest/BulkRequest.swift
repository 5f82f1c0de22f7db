import ApusCore
import Foundation

/// An Elasticsearch bulk body (NDJSON: an action line, then for `index` and `create` a document
/// line), read into log entries: the document's `message` is the line (the whole document when
/// it has none), `@timestamp` its time, its index and the configured fields its labels, and
/// trace and request ids its metadata. Each item keeps its own outcome, as `_bulk` answers.
struct BulkRequest {
    /// One action of the body.
    struct Item {
        var action: String
        var index: String
        /// What to store, or why the item is refused (status, Elasticsearch error type, reason).
        var outcome: Result<(labels: LabelSet, entry: LogEntry), Refusal>
    }

    struct Refusal: Error {
        var status: Int
        var type: String
        var reason: String
    }

    /// The body cannot be read as bulk actions at all.
    struct Malformed: Error {
        let reason: String
    }

    var items: [Item] = []

    /// `bytes` as an array: split and parsed in place, far faster than through a buffer's view.
    init(ndjson bytes: [UInt8], defaultIndex: String?, labelFields: [String], limits: LokiPush.Limits, now: Int64) throws(Malformed) {
        let labelPaths = labelFields.map(FieldPath.init)
        var lines = Self.lines(of: bytes)[...]
        while let actionLine = lines.popFirst() {
            guard case .object(let action)? = try? JSONValue(parsing: actionLine, maximumDepth: 8), action.count == 1,
                  let (name, metaValue) = action.first, case .object(let meta) = metaValue else {
                throw Malformed(reason: "Malformed action/metadata line [\(items.count * 2 + 1)], expected START_OBJECT with one action")
            }
            var index = defaultIndex
            if case .string(let named)? = meta["_index"] { index = named }
            switch name {
            case "index", "create":
                guard let documentLine = lines.popFirst() else { throw Malformed(reason: "The bulk request must be terminated by a document after its \(name) action") }
                guard let index, Self.isIndexName(index) else {
                    items.append(Item(action: name, index: index ?? "", outcome: .failure(Refusal(status: 400, type: "action_request_validation_exception", reason: "Validation Failed: 1: index is missing or not a valid index name;"))))
                    continue
                }
                items.append(Item(action: name, index: index, outcome: Self.entry(documentLine, index: index, labelPaths: labelPaths, limits: limits, now: now)))
            case "update":
                _ = lines.popFirst()
                items.append(Item(action: name, index: index ?? "", outcome: .failure(Refusal(status: 400, type: "illegal_argument_exception", reason: "log lines are never updated; send index or create"))))
            case "delete":
                items.append(Item(action: name, index: index ?? "", outcome: .failure(Refusal(status: 400, type: "illegal_argument_exception", reason: "log lines are removed by retention, not by delete"))))
            default:
                throw Malformed(reason: "Malformed action/metadata line [\(items.count * 2 + 1)], unknown action [\(name)]")
            }
        }
    }

    /// The body's lines that hold more than white space, found with `memchr`.
    static func lines(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        lines.reserveCapacity(bytes.count / 128)
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var start = 0
            while start < raw.count {
                let end = memchr(base + start, 0x0A, raw.count - start).map { base.distance(to: UnsafeRawPointer($0)) } ?? raw.count
                if raw[start..<end].contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) { lines.append(bytes[start..<end]) }
                start = end + 1
            }
        }
        return lines
    }

    /// Elasticsearch's index names, lowercase and without the characters it refuses.
    static func isIndexName(_ name: String) -> Bool {
        guard (1...255).contains(name.utf8.count), !name.hasPrefix("_"), !name.hasPrefix("-"), !name.hasPrefix("+"), name != ".", name != ".." else { return false }
        return name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
    }

    private static func entry(
        _ line: some Collection<UInt8>, index: String, labelPaths: [FieldPath], limits: LokiPush.Limits, now: Int64
    ) -> Result<(labels: LabelSet, entry: LogEntry), Refusal> {
        guard case .object(let document)? = try? JSONValue(parsing: line, maximumDepth: 32) else {
            return .failure(Refusal(status: 400, type: "document_parsing_exception", reason: "failed to parse: the document is not a JSON object"))
        }
        var labels = [("index", index)]
        for path in labelPaths {
            guard let value = path.value(in: document) else { continue }
            let name = path.label
            if labels.contains(where: { $0.0 == name }) { continue }
            switch value {
            case .string(let text) where !text.isEmpty: labels.append((name, text))
            case .number(let number): labels.append((name, LokiQueryRoutes.number(number)))
            default: continue
            }
        }
        let labelSet: LabelSet
        do { labelSet = try LabelSet(labels, maxLabels: limits.maxLabels) } catch {
            return .failure(Refusal(status: 400, type: "illegal_argument_exception", reason: LokiPush.describe(error)))
        }
        let text: String
        if case .string(let message)? = document["message"] {
            text = message
        } else {
            text = String(decoding: (try? JSONEncoder().encode(JSONValue.object(document))) ?? Data(), as: UTF8.self)
        }
        var timestamp = now
        if let value = document["@timestamp"] ?? document["timestamp"] {
            switch value {
            case .string(let written):
                guard let parsed = LokiTime.parse(written) else {
                    return .failure(Refusal(status: 400, type: "document_parsing_exception", reason: "failed to parse field [@timestamp] of type [date]: \(LabelSet.quoted(String(written.prefix(40))))"))
                }
                timestamp = parsed
            case .number(let millis) where millis.isFinite && abs(millis) < 9e15:
                timestamp = Int64(millis * 1_000_000)
            default:
                return .failure(Refusal(status: 400, type: "document_parsing_exception", reason: "failed to parse field [@timestamp] of type [date]"))
            }
        }
        guard timestamp >= limits.oldest else { return .failure(Refusal(status: 400, type: "illegal_argument_exception", reason: "timestamp too old: \(timestamp)")) }
        guard timestamp <= limits.newest else { return .failure(Refusal(status: 400, type: "illegal_argument_exception", reason: "timestamp too new: \(timestamp)")) }
        guard text.utf8.count <= limits.maxLineBytes else {
            return .failure(Refusal(status: 400, type: "illegal_argument_exception", reason: "line of \(text.utf8.count) bytes is longer than \(limits.maxLineBytes)"))
        }
        var metadata: [String: String] = [:]
        for (path, key) in metadataPaths {
            if case .string(let value)? = path.value(in: document) { metadata[key] = value }
        }
        return .success((labelSet, LogEntry(timestamp: timestamp, line: text, metadata: metadata)))
    }

    /// The fields whose values become a line's metadata, and the key each goes under.
    private static let metadataPaths = [("trace.id", "trace_id"), ("trace_id", "trace_id"), ("request_id", "request_id"), ("http.request.id", "request_id")]
        .map { (FieldPath($0.0), $0.1) }

    /// A field by dotted path: `host.name` is `{"host": {"name": …}}` or the key `"host.name"`.
    /// Split once per request, not once per document.
    struct FieldPath {
        let whole: String
        let parts: [String]
        /// The label it becomes: dots are not allowed in a label name.
        let label: String

        init(_ whole: String) {
            self.whole = whole
            parts = whole.split(separator: ".").map(String.init)
            label = whole.replacingOccurrences(of: ".", with: "_")
        }

        func value(in document: [String: JSONValue]) -> JSONValue? {
            if let value = document[whole] { return value }
            guard parts.count > 1, case .object(var fields)? = document[parts[0]] else { return nil }
            for part in parts.dropFirst().dropLast() {
                guard case .object(let next)? = fields[part] else { return nil }
                fields = next
            }
            return fields[parts[parts.count - 1]]
        }
    }
}
