import ApusCore
import Foundation

/// What a link may point at: an absolute http(s) URL with a host, at most 8 KiB, not a blocked
/// host, and not Apus' own short domain (a loop).
struct TargetURLPolicy: Sendable {
    let blockedHosts: Set<String>
    let ownHost: String?

    /// The problem with `text`, or `nil` when it may be used.
    ///
    /// Hosts compare as a browser reads them: lower case, without the trailing dot that names
    /// the same host (`evil.com.`). A backslash, which browsers read as a slash (so
    /// `https://evil.com\@good.com/` goes to evil.com), and control or separator characters,
    /// which would come back in `Location` and webhooks unlike what was stored, are refused.
    func violation(_ text: String) -> String? {
        guard text.utf8.count <= 8192 else { return "is longer than 8 KiB" }
        if text.contains("\\") { return "contains a backslash" }
        if text.unicodeScalars.contains(where: { scalar in
            scalar.value < 0x21 || (0x7F...0x9F).contains(scalar.value) || [0x2028, 0x2029, 0xFEFF].contains(scalar.value)
                || scalar.properties.generalCategory == .format
        }) {
            return "contains a control, space or invisible character"
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            return "is not an absolute URL"
        }
        guard scheme == "http" || scheme == "https" else { return "must use http or https, not \(scheme)" }
        guard var host = components.host?.lowercased(), !host.isEmpty else { return "has no host" }
        while host.hasSuffix(".") { host.removeLast() }
        guard !host.isEmpty else { return "has no host" }
        if blockedHosts.map(Self.normalized).contains(where: { host == $0 || host.hasSuffix("." + $0) }) { return "points at a blocked host" }
        if let ownHost, host == Self.normalized(ownHost) { return "points back at this short-link service" }
        return nil
    }

    /// A host as it compares: lower case, no trailing dots.
    static func normalized(_ host: String) -> String {
        var host = host.lowercased()
        while host.hasSuffix(".") { host.removeLast() }
        return host
    }
}
