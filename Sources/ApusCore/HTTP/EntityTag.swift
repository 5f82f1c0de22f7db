public import HTTPTypes

/// An entity tag (RFC 9110 §8.8.3): what `ETag` names a representation by, and what the
/// conditional headers compare with it (§13).
public struct EntityTag: Sendable, Hashable {
    /// The opaque value, without its quotes.
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    /// The tag as sent in `ETag`: `"<value>"`.
    public var header: String { "\"\(value)\"" }

    /// The tags a header lists (`"a", W/"b"`), each with whether it was weak; `nil` when an
    /// element is not a quoted tag.
    static func list(_ header: String) -> [(tag: EntityTag, weak: Bool)]? {
        var tags: [(tag: EntityTag, weak: Bool)] = []
        for element in header.split(separator: ",") {
            var text = element.trimmingHTTPWhitespace
            let weak = text.hasPrefix("W/")
            if weak { text = text.dropFirst(2) }
            guard text.count >= 2, text.first == "\"", text.last == "\"" else { return nil }
            let value = text.dropFirst().dropLast()
            guard !value.contains("\"") else { return nil }
            tags.append((EntityTag(String(value)), weak))
        }
        return tags.isEmpty ? nil : tags
    }

    /// Whether `If-None-Match` names this tag or is `*` (weak comparison: `W/"x"` names `"x"`):
    /// a `GET` then answers 304 Not Modified.
    public func matches(ifNoneMatch header: String) -> Bool {
        if header.trimmingHTTPWhitespace == "*" { return true }
        return header.split(separator: ",").contains { element in
            Self.list(String(element))?.first?.tag == self
        }
    }

    /// Whether `If-Range` lets a range be served: only this same strong tag does; a weak tag or
    /// a date (which is not compared) sends the whole representation, as the RFC asks when in
    /// doubt.
    public func allowsRange(ifRange header: String) -> Bool {
        header.trimmingHTTPWhitespace == Substring(self.header)
    }
}

/// What `If-Match` asks of a change (RFC 9110 §13.1.1): that the resource be at any current
/// version (`*`), or at one of the tags listed.
public enum IfMatch: Sendable, Equatable {
    case any
    case tags([EntityTag])

    /// The condition a change must carry: 428 Precondition Required with `detail` when
    /// `If-Match` is absent (a change says which version it changes), 400 when it is neither `*`
    /// nor a list of tags.
    public static func required(_ headers: HTTPFields, detail: String) throws(Problem) -> IfMatch {
        guard let header = headers[.ifMatch] else { throw Problem(.preconditionRequired, detail: detail) }
        if header.trimmingHTTPWhitespace == "*" { return .any }
        guard let tags = EntityTag.list(header) else {
            throw Problem.badRequest("If-Match must be * or a list of entity tags such as \"3\".")
        }
        return .tags(tags.map(\.tag))
    }

    /// The version a change names where ETags are version numbers (`"3"`): `nil` for `*` (any
    /// current version, RFC 9110 13.1.1), and `nil` too when `If-Match` is absent or empty and
    /// not `required`. 428 when required and absent; 400 when it is not one version tag.
    public static func version(_ headers: HTTPFields, required: Bool = true, detail: String) throws(Problem) -> Int? {
        if !required, headers[.ifMatch]?.trimmingHTTPWhitespace.isEmpty ?? true { return nil }
        switch try Self.required(headers, detail: detail) {
        case .any:
            return nil
        case .tags(let tags):
            guard tags.count == 1, let version = Int(tags[0].value), version > 0 else {
                throw Problem.badRequest("If-Match must be an ETag of this API, such as \"3\", or *.")
            }
            return version
        }
    }
}

extension StringProtocol where SubSequence == Substring {
    /// Without the spaces and tabs HTTP allows around values.
    package var trimmingHTTPWhitespace: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let start = firstIndex { !isSpace($0) } ?? endIndex
        let end = lastIndex { !isSpace($0) }.map(index(after:)) ?? start
        return self[start..<end]
    }
}
