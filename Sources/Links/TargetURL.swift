import ApusCore
import Foundation

/// What a link may point at: an absolute http(s) URL with a host, at most 8 KiB, not a blocked
/// host, and not Apus' own short domain (a loop).
struct TargetURLPolicy: Sendable {
    let blockedHosts: Set<String>
    let ownHost: String?

    /// The problem with `text`, or `nil` when it may be used.
    func violation(_ text: String) -> String? {
        guard text.utf8.count <= 8192 else { return "is longer than 8 KiB" }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            return "is not an absolute URL"
        }
        guard scheme == "http" || scheme == "https" else { return "must use http or https, not \(scheme)" }
        guard let host = components.host?.lowercased(), !host.isEmpty else { return "has no host" }
        if blockedHosts.contains(where: { host == $0 || host.hasSuffix("." + $0) }) { return "points at a blocked host" }
        if let ownHost, host == ownHost { return "points back at this short-link service" }
        return nil
    }
}
