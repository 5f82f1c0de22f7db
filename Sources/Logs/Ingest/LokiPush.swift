import ApusCore

/// A Loki push body in JSON: `{"streams": [{"stream": {labels}, "values": [["<unix ns>",
/// "line", {structured metadata}?]]}]}`, read into streams of entries. Entries that cannot be
/// stored are left out with the reason, so the rest of the batch is kept (as Loki does).
struct LokiPush {
    /// What a push asks to store, stream by stream.
    var streams: [(labels: LabelSet, entries: [LogEntry])] = []
    /// Why some entries (or whole streams) were left out, one line each.
    var refusals: [String] = []
    var refusedEntries = 0

    /// The body is not a push at all: nothing is stored.
    struct Malformed: Error {
        let reason: String
    }

    /// The limits the entries are held to, and the node's time in nanoseconds.
    struct Limits {
        var maxLineBytes: Int
        var maxLabels: Int
        var oldest: Int64
        var newest: Int64

        /// Why an entry at `timestamp` holding `line` cannot be stored, or `nil` if it can.
        func refusal(timestamp: Int64, line: String) -> String? {
            guard timestamp >= oldest else { return "timestamp too old: \(timestamp)" }
            guard timestamp <= newest else { return "timestamp too new: \(timestamp)" }
            guard line.utf8.count <= maxLineBytes else { return "line of \(line.utf8.count) bytes is longer than \(maxLineBytes)" }
            return nil
        }
    }

    init(json bytes: some Collection<UInt8>, limits: Limits) throws(Malformed) {
        let body: JSONValue
        do { body = try JSONValue(parsing: bytes, maximumDepth: 16) } catch { throw Malformed(reason: "the body is not JSON: \(error)") }
        guard case .object(let top) = body, case .array(let streams)? = top["streams"] else {
            throw Malformed(reason: "the body must be an object with a \"streams\" array")
        }
        var grouped: [LabelSet: [LogEntry]] = [:]
        var order: [LabelSet] = []
        for (index, stream) in streams.enumerated() {
            guard case .object(let fields) = stream, case .object(let labelValues)? = fields["stream"], case .array(let values)? = fields["values"] else {
                throw Malformed(reason: "streams[\(index)] must have a \"stream\" object of labels and a \"values\" array")
            }
            var pairs: [(String, String)] = []
            for (name, value) in labelValues {
                guard case .string(let text) = value else { throw Malformed(reason: "streams[\(index)].stream.\(name) must be a string") }
                pairs.append((name, text))
            }
            let labels: LabelSet
            do {
                labels = try LabelSet(pairs, maxLabels: limits.maxLabels)
            } catch {
                refusals.append("stream \(index): \(Self.describe(error))")
                refusedEntries += values.count
                continue
            }
            for (position, value) in values.enumerated() {
                switch Self.entry(value, limits: limits) {
                case .success(let entry):
                    if grouped[labels] == nil { order.append(labels) }
                    grouped[labels, default: []].append(entry)
                case .failure(let refusal):
                    refusals.append("stream \(labels) entry \(position): \(refusal.reason)")
                    refusedEntries += 1
                }
            }
        }
        self.streams = order.map { ($0, grouped[$0]!) }
    }

    private static func entry(_ value: JSONValue, limits: Limits) -> Result<LogEntry, Malformed> {
        guard case .array(let parts) = value, parts.count == 2 || parts.count == 3,
              case .string(let time) = parts[0], case .string(let line) = parts[1] else {
            return .failure(Malformed(reason: "an entry is [\"<unix ns>\", \"line\"] or [\"<unix ns>\", \"line\", {metadata}]"))
        }
        guard let timestamp = Int64(time), timestamp >= 0 else { return .failure(Malformed(reason: "timestamp \(LabelSet.quoted(String(time.prefix(40)))) is not nanoseconds since the epoch")) }
        if let refusal = limits.refusal(timestamp: timestamp, line: line) { return .failure(Malformed(reason: refusal)) }
        var metadata: [String: String] = [:]
        if parts.count == 3 {
            guard case .object(let fields) = parts[2] else { return .failure(Malformed(reason: "structured metadata must be an object of strings")) }
            for (key, value) in fields {
                guard case .string(let text) = value, LabelSet.isName(key) else { return .failure(Malformed(reason: "structured metadata must be an object of strings with label-like names")) }
                metadata[key] = text
            }
        }
        return .success(LogEntry(timestamp: timestamp, line: line, metadata: metadata))
    }

    static func describe(_ refusal: LabelSet.Refusal) -> String {
        switch refusal {
        case .badName(let name): "invalid label name \(LabelSet.quoted(name))"
        case .empty: "a stream needs at least one label"
        case .duplicate(let name): "duplicate label name \(LabelSet.quoted(name))"
        case .tooMany(let limit): "more than \(limit) labels"
        case .nul(let name): "the value of label \(LabelSet.quoted(name)) holds a NUL character"
        }
    }
}
