import ApusKit

extension LokiPush {
    /// A push in Loki's protobuf, `logproto.PushRequest` (what promtail and Grafana Alloy send,
    /// snappy-compressed; decompress first): streams whose labels come as one Prometheus-style
    /// string (`{app="api", level="info"}`), entries with a `google.protobuf.Timestamp`, a line
    /// and structured metadata pairs. Entries that cannot be stored are left out with the
    /// reason, as for JSON.
    init(protobuf bytes: [UInt8], limits: Limits) throws(Malformed) {
        var grouped: [LabelSet: [LogEntry]] = [:]
        var order: [LabelSet] = []
        var request = ProtobufReader(bytes)
        var index = 0
        do {
            while let field = try request.nextField() {
                guard field.number == 1, field.wireType == .lengthDelimited else {
                    try request.skip(field.wireType)
                    continue
                }
                defer { index += 1 }
                let stream = try Self.stream(try request.message())
                let labels: LabelSet
                switch Self.labels(stream.labels, maxLabels: limits.maxLabels) {
                case .success(let set): labels = set
                case .failure(let refusal):
                    refusals.append("stream \(index): \(refusal.reason)")
                    refusedEntries += stream.entries.count
                    continue
                }
                for (position, entry) in stream.entries.enumerated() {
                    if let refusal = limits.refusal(timestamp: entry.timestamp, line: entry.line) {
                        refusals.append("stream \(labels) entry \(position): \(refusal)")
                        refusedEntries += 1
                        continue
                    }
                    if grouped[labels] == nil { order.append(labels) }
                    grouped[labels, default: []].append(entry)
                }
            }
        } catch {
            throw Malformed(reason: "the body is not a Loki protobuf push: \(error.reason)")
        }
        streams = order.map { ($0, grouped[$0]!) }
    }

    /// `StreamAdapter`: labels (1), entries (2); the hash (3) is Loki's own and ignored.
    private static func stream(_ reader: ProtobufReader) throws(ProtobufReader.Malformed) -> (labels: String, entries: [LogEntry]) {
        var reader = reader
        var labels = ""
        var entries: [LogEntry] = []
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, .lengthDelimited): labels = try reader.string()
            case (2, .lengthDelimited): entries.append(try entry(try reader.message()))
            default: try reader.skip(field.wireType)
            }
        }
        return (labels, entries)
    }

    /// `EntryAdapter`: timestamp (1), line (2), structured metadata (3).
    private static func entry(_ reader: ProtobufReader) throws(ProtobufReader.Malformed) -> LogEntry {
        var reader = reader
        var entry = LogEntry(timestamp: 0, line: "")
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, .lengthDelimited):
                var time = try reader.message()
                var seconds: Int64 = 0
                var nanos: Int64 = 0
                while let part = try time.nextField() {
                    switch (part.number, part.wireType) {
                    case (1, .varint): seconds = Int64(bitPattern: try time.varint())
                    case (2, .varint): nanos = Int64(Int32(truncatingIfNeeded: try time.varint()))
                    default: try time.skip(part.wireType)
                    }
                }
                let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
                entry.timestamp = overflow ? .min : scaled &+ nanos
            case (2, .lengthDelimited):
                entry.line = try reader.string()
            case (3, .lengthDelimited):
                var pair = try reader.message()
                var name = ""
                var value = ""
                while let part = try pair.nextField() {
                    switch (part.number, part.wireType) {
                    case (1, .lengthDelimited): name = try pair.string()
                    case (2, .lengthDelimited): value = try pair.string()
                    default: try pair.skip(part.wireType)
                    }
                }
                if LabelSet.isName(name) { entry.metadata[name] = value }
            default:
                try reader.skip(field.wireType)
            }
        }
        return entry
    }

    /// A stream's labels as promtail writes them, `{name="value", …}`, read by the LogQL
    /// selector grammar (the same quoting), every matcher an equality.
    private static func labels(_ text: String, maxLabels: Int) -> Result<LabelSet, Malformed> {
        guard case .logs(let selection)? = try? LogQLParser.parse(text), selection.filters.isEmpty, selection.stages.isEmpty,
              selection.matchers.allSatisfy({ $0.op == .equal }) else {
            return .failure(Malformed(reason: "labels \(LabelSet.quoted(String(text.prefix(200)))) are not {name=\"value\", …}"))
        }
        do {
            return .success(try LabelSet(selection.matchers.map { ($0.name, $0.value) }, maxLabels: maxLabels))
        } catch {
            return .failure(Malformed(reason: describe(error)))
        }
    }
}
