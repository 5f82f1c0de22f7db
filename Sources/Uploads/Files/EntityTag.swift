/// A file's entity tag, its SHA-256 in quotes, and the conditional headers compared with it
/// (RFC 9110 §13).
struct EntityTag: Equatable {
    /// The tag as sent in `ETag`: `"<hex SHA-256>"`.
    let header: String

    init(sha256: String) {
        header = "\"\(sha256)\""
    }

    /// Whether `If-None-Match` names this tag (or is `*`): weak comparison, so `W/"..."` counts.
    func matches(ifNoneMatch value: String) -> Bool {
        value.split(separator: ",").contains { candidate in
            let tag = candidate.trimmingWhitespace
            if tag == "*" { return true }
            return (tag.hasPrefix("W/") ? tag.dropFirst(2) : tag) == header
        }
    }

    /// Whether `If-Range` lets a range be served: strong comparison, and a date (which this server
    /// does not compare) never does, so the whole file is sent, as the RFC asks when in doubt.
    func allowsRange(ifRange value: String) -> Bool {
        value.trimmingWhitespace == header
    }
}
