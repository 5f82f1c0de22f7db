import ApusCore

/// What a `Range` header asks of a file of a known size (RFC 9110 §14). One range is served as
/// asked; several ranges (`bytes=0-1,5-6`) are answered with the whole file, which the RFC allows
/// a server to do, so no multipart body is ever built. A header that is not a valid byte range
/// is ignored the same way.
enum ByteRangeRequest: Equatable {
    /// Send the whole file (200).
    case whole
    /// Send these bytes (206 with `Content-Range`).
    case part(Range<Int64>)
    /// Nothing of the file is in the range (416 with `Content-Range: bytes */size`).
    case unsatisfiable

    init(header: String?, size: Int64) {
        guard let header else {
            self = .whole
            return
        }
        let text = header.trimmingHTTPWhitespace
        guard text.utf8.count > 6, text.utf8.prefix(6).elementsEqual("bytes=".utf8, by: { $0 | 0x20 == $1 | 0x20 }) else {
            self = .whole
            return
        }
        let spec = text.dropFirst(6).trimmingHTTPWhitespace
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else {
            self = .whole
            return
        }
        let first = spec[..<dash].trimmingHTTPWhitespace
        let last = spec[spec.index(after: dash)...].trimmingHTTPWhitespace
        switch (Self.number(first), Self.number(last)) {
        case (let start?, let end?):
            guard start <= end else { self = .whole; return }
            self = start < size ? .part(start..<min(end, size - 1) + 1) : .unsatisfiable
        case (let start?, nil) where last.isEmpty:
            self = start < size ? .part(start..<size) : .unsatisfiable
        case (nil, let suffix?) where first.isEmpty:
            self = suffix > 0 && size > 0 ? .part(max(0, size - suffix)..<size) : .unsatisfiable
        default:
            self = .whole
        }
    }

    /// Digits only; a number too large for 63 bits is as good as infinite, so it is clamped.
    private static func number(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(text) ?? Int64.max
    }
}
