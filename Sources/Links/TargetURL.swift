import ApusCore
import ApusKit
import Foundation

/// What a link may point at: an absolute http(s) URL with a host, at most 8 KiB, not a blocked
/// host, and not Apus' own short domain (a loop).
///
/// A target is read once, the way a browser reads it, and only that reading is kept: the form
/// that is checked is the form that is stored, returned by the API, sent in webhooks and put in
/// `Location`, so no spelling of a host can pass the checks and then lead somewhere else.
struct TargetURLPolicy: Sendable {
    let blockedHosts: Set<String>
    let ownHost: String?

    init(blockedHosts: Set<String>, ownHost: String?) {
        self.blockedHosts = Set(blockedHosts.compactMap { try? TargetURL.host($0) })
        self.ownHost = ownHost.flatMap { try? TargetURL.host($0) }
    }

    /// `text` as it is kept (see `TargetURL`), or why it may not be used.
    func accept(_ text: String) -> Result<String, TargetURL.Refusal> {
        let target: TargetURL
        do { target = try TargetURL(text) } catch { return .failure(error) }
        if blockedHosts.contains(where: { target.host == $0 || target.host.hasSuffix("." + $0) }) {
            return .failure(.init("points at a blocked host"))
        }
        if target.host == ownHost { return .failure(.init("points back at this short-link service")) }
        return .success(target.text)
    }

    /// Why `text` may not be used, or `nil` when it may.
    func violation(_ text: String) -> String? {
        if case .failure(let refusal) = accept(text) { return refusal.reason }
        return nil
    }
}

/// An http(s) URL in the one form Apus keeps: scheme and host lower case, the host in IDNA
/// ASCII (`xn--`, labels NFKC-mapped and case-folded as UTS 46 does for the common cases), no
/// trailing dot, no default port, and every non-ASCII character of path, query and fragment
/// percent-encoded as UTF-8.
///
/// It follows the WHATWG URL reading of special schemes where that matters for where a browser
/// goes: any number of slashes after `https:`, a percent-encoded host decoded (`evil%2Ecom`),
/// the ideographic full stops as dots. A backslash (which browsers read as a slash, so
/// `https://evil.com\@good.com/` goes to evil.com), a user name or password (a phishing
/// device: `https://bank.com@evil.com/`), control, space, separator and invisible characters
/// are refused rather than rewritten.
struct TargetURL: Sendable, Equatable {
    /// Why a text is not a usable target; `reason` completes "Field url …".
    struct Refusal: Error, Equatable {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    let scheme: String
    let host: String
    let port: Int?
    /// Path, query and fragment, starting with `/`.
    let rest: String

    /// The whole URL as stored and sent.
    var text: String { "\(scheme)://\(host)\(port.map { ":\($0)" } ?? "")\(rest)" }

    init(_ text: String) throws(Refusal) {
        guard text.utf8.count <= 8192 else { throw Refusal("is longer than 8 KiB") }
        if text.contains("\\") { throw Refusal("contains a backslash") }
        if text.unicodeScalars.contains(where: Self.isInvisibleOrControl) {
            throw Refusal("contains a control, space or invisible character")
        }
        guard let colon = text.firstIndex(of: ":"), text[..<colon].allSatisfy(\.isLetter), !text[..<colon].isEmpty else {
            throw Refusal("is not an absolute URL")
        }
        let scheme = text[..<colon].lowercased()
        guard scheme == "http" || scheme == "https" else { throw Refusal("must use http or https, not \(scheme)") }
        let afterScheme = text[text.index(after: colon)...].drop(while: { $0 == "/" })
        let authorityEnd = afterScheme.firstIndex(where: { "/?#".contains($0) }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        if authority.contains("@") { throw Refusal("must not carry a user name or password") }

        var hostText = authority
        var port: Int?
        if let portColon = authority.lastIndex(of: ":"), !authority[portColon...].contains("]") {
            hostText = authority[..<portColon]
            let digits = authority[authority.index(after: portColon)...]
            if !digits.isEmpty {
                guard digits.count <= 5, digits.allSatisfy(\.isASCII), let number = Int(digits), number <= 65535 else {
                    throw Refusal("has an invalid port")
                }
                port = number
            }
        }
        self.scheme = scheme
        self.host = try Self.host(String(hostText))
        let defaultPort = scheme == "https" ? 443 : 80
        self.port = port == defaultPort ? nil : port
        let rest = afterScheme[authorityEnd...]
        self.rest = (rest.first == "/" ? "" : "/") + Self.percentEncodingNonASCII(rest)
    }

    /// A host as it compares and is kept: percent-decoded, dots unified, NFKC and case folded,
    /// each non-ASCII label in Punycode, without trailing dots. Also used for the configured
    /// block list and the service's own host, so both sides compare in one form.
    static func host(_ raw: String) throws(Refusal) -> String {
        if raw.hasPrefix("[") {
            let inner = raw.dropFirst().dropLast()
            guard raw.hasSuffix("]"), !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw Refusal("has an invalid IPv6 host")
            }
            return raw.lowercased()
        }
        guard let decoded = raw.removingPercentEncoding else { throw Refusal("has an invalid percent-encoded host") }
        let dotted = decoded.unicodeScalars.map { ["\u{3002}", "\u{FF0E}", "\u{FF61}"].contains($0) ? "." : Character($0) }
        var host = String(dotted).precomposedStringWithCompatibilityMapping.lowercased()
        while host.hasSuffix(".") { host.removeLast() }
        guard !host.isEmpty else { throw Refusal("has no host") }
        if host.unicodeScalars.contains(where: { Self.forbiddenInHost.contains($0) || Self.isInvisibleOrControl($0) }) {
            throw Refusal("has a character a host may not contain")
        }
        var labels: [String] = []
        for label in host.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty else { throw Refusal("has an empty host label") }
            let ascii = label.allSatisfy(\.isASCII) ? String(label) : Punycode.encode(String(label)).map { "xn--" + $0 }
            guard let ascii, ascii.utf8.count <= 63 else { throw Refusal("has a host label longer than 63 characters") }
            labels.append(ascii)
        }
        let result = labels.joined(separator: ".")
        guard result.utf8.count <= 253 else { throw Refusal("has a host longer than 253 characters") }
        return result
    }

    private static let forbiddenInHost: Set<Unicode.Scalar> = ["#", "/", ":", "<", ">", "?", "@", "[", "\\", "]", "^", "|", "%", " "]

    private static func isInvisibleOrControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x21 || (0x7F...0x9F).contains(scalar.value) || [0x2028, 0x2029, 0xFEFF].contains(scalar.value)
            || scalar.properties.generalCategory == .format || scalar.properties.generalCategory == .spaceSeparator
    }

    private static let hexDigits = Array("0123456789ABCDEF")

    private static func percentEncodingNonASCII(_ text: Substring) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                result.unicodeScalars.append(scalar)
            } else {
                for byte in String(scalar).utf8 {
                    result.append("%")
                    result.append(hexDigits[Int(byte >> 4)])
                    result.append(hexDigits[Int(byte & 0xF)])
                }
            }
        }
        return result
    }
}
