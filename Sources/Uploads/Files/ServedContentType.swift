import ApusCore

/// How a stored file is presented to a browser: the `Content-Type` its upload's metadata gave
/// (`filetype`, as tus-js-client and Uppy send it, or `content_type`), and whether it may be
/// shown inline. Only types a browser cannot run as a page from our origin are inline (images
/// other than SVG, audio, video, plain text); everything else, HTML and SVG included, is sent
/// as an attachment, and every file with `nosniff` and a sandboxing CSP besides.
struct ServedContentType: Equatable {
    /// A type the client declared, checked and lower-cased, without parameters.
    let mediaType: String
    /// Whether the file may be displayed in the browser rather than downloaded.
    let isInline: Bool

    static let fallback = "application/octet-stream"

    /// The metadata keys a content type is read from, in order.
    static let metadataKeys = ["filetype", "content_type"]

    static let inlineTypes: Set<String> = [
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "text/plain",
    ]

    init(metadata: [String: String]) {
        let declared = Self.metadataKeys.lazy.compactMap { metadata[$0] }.first
        self.init(declared: declared)
    }

    init(declared: String?) {
        let type = declared.flatMap(Self.mediaType(_:)) ?? Self.fallback
        mediaType = type
        isInline = Self.inlineTypes.contains(type) || type.hasPrefix("audio/") || type.hasPrefix("video/")
    }

    /// `type/subtype` of `text` (parameters dropped), lower-cased; `nil` when it is not one.
    static func mediaType(_ text: String) -> String? {
        let essence = (text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? "").trimmingHTTPWhitespace.lowercased()
        let halves = essence.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, halves.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 127 && $0.utf8.allSatisfy(isTokenByte) }) else { return nil }
        return essence
    }

    /// RFC 9110's `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// `Content-Disposition`: `inline` or `attachment`, with the file's name if it has one (an
    /// ASCII fallback and the exact name in RFC 8187 form).
    func disposition(filename: String?) -> String {
        let kind = isInline ? "inline" : "attachment"
        guard let filename, !filename.isEmpty else { return kind }
        let ascii = String(filename.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && scalar.value >= 0x20 && scalar.value < 0x7F && !"\"\\/".unicodeScalars.contains(scalar) ? Character(scalar) : "_"
        })
        var encoded = ""
        for byte in filename.utf8 {
            let unreserved = Self.isTokenByte(byte) && !"%'*".utf8.contains(byte)
            encoded += unreserved ? String(UnicodeScalar(byte)) : "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }
        return "\(kind); filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}
