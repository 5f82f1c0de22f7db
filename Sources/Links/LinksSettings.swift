import ApusCore
import HTTPTypes

/// What the links module reads from the node's settings.
struct LinksSettings: Sendable {
    /// Hosts (and their subdomains) no link may point at (`APUS_LINKS_BLOCKED_HOSTS`).
    var blockedHosts: [String] = []
    /// A header a trusted edge sets to the client's country (`APUS_LINKS_COUNTRY_HEADER`, e.g. `CF-IPCountry`).
    var countryHeader: HTTPField.Name?

    init(_ settings: Settings) throws(ConfigurationError) {
        blockedHosts = try settings.list("APUS_LINKS_BLOCKED_HOSTS").map { host throws(ConfigurationError) in
            // In the form targets are compared in; an entry that is no host would block nothing.
            do throws(TargetURL.Refusal) { return try TargetURL.host(host) } catch {
                throw .invalid("APUS_LINKS_BLOCKED_HOSTS", "'\(host)' is not a host name: it \(error.reason)")
            }
        }
        countryHeader = try settings.parse("APUS_LINKS_COUNTRY_HEADER") { text throws(ConfigurationError) in
            guard let name = HTTPField.Name(text) else { throw .invalid("APUS_LINKS_COUNTRY_HEADER", "'\(text)' is not a header name") }
            return name
        }
    }
}
