import ApusCore

/// The content types uploads may declare (`APUS_UPLOADS_ALLOWED_TYPES`): exact types such as
/// `application/pdf` and whole families such as `image/*`; no entries allows every type.
struct AllowedContentTypes: Sendable, Equatable {
    /// Lower-cased `type/subtype` or `type/*` entries.
    let entries: [String]

    /// Every type.
    static let all = AllowedContentTypes(checked: [])

    private init(checked entries: [String]) {
        self.entries = entries
    }

    /// The comma-separated `setting`; an entry that is no media type (nor `type/*`) is refused.
    init(setting: String) throws(InvalidEntry) {
        var entries: [String] = []
        for raw in setting.split(separator: ",") {
            let entry = raw.trimmingHTTPWhitespace.lowercased()
            guard !entry.isEmpty else { continue }
            // A wildcard is a whole subtype (or `*/*`); elsewhere `*` is no part of a type here.
            let shape = entry == "*/*" ? "x/x" : entry.hasSuffix("/*") ? String(entry.dropLast()) + "x" : entry
            guard !shape.contains("*"), let checked = ServedContentType.mediaType(shape), checked == shape else { throw InvalidEntry(entry: entry) }
            entries.append(entry)
        }
        self.entries = entries
    }

    /// Whether an upload of `mediaType` (checked, lower-cased) is accepted.
    func allows(_ mediaType: String) -> Bool {
        entries.isEmpty || entries.contains { entry in
            entry == "*/*" || entry == mediaType || (entry.hasSuffix("/*") && mediaType.hasPrefix(entry.dropLast()))
        }
    }

    /// An entry of the setting that is no media type.
    struct InvalidEntry: Error, CustomStringConvertible {
        let entry: String
        var description: String { "'\(entry)' is no media type (type/subtype, or type/* for a family)" }
    }
}
