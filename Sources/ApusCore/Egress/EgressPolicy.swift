import Foundation

/// Which destinations outbound requests may reach.
///
/// By default only public addresses: loopback, private, link-local (cloud metadata included),
/// carrier-grade NAT, multicast, reserved and unspecified addresses are refused, in IPv4, IPv6
/// and the IPv6 forms that carry an IPv4 address. A host name is resolved and every address it
/// resolves to must pass. The allow list (`APUS_EGRESS_ALLOW`) opens host names, which then skip
/// the check, and address blocks (CIDRs), for deployments that call services on their own network.
public struct EgressPolicy: Sendable {
    /// Host names reached without a check (lower-cased, without a trailing dot).
    public let allowedHosts: Set<String>
    let allowedNetworks: [IPNetwork]

    /// The environment variable holding the allow list.
    public static let environmentVariable = "APUS_EGRESS_ALLOW"

    /// Allows public addresses plus `allow`: host names (`hooks.internal`) and addresses or CIDRs
    /// (`10.1.0.0/16`, `127.0.0.1`, `fd00::/8`).
    public init(allow: [String] = []) throws(EgressAllowListError) {
        var hosts: Set<String> = []
        var networks: [IPNetwork] = []
        for raw in allow {
            let entry = raw.trimmingCharacters(in: .whitespaces).lowercased()
            guard !entry.isEmpty else { continue }
            if let network = IPNetwork(entry) {
                networks.append(network)
            } else if entry.contains("/") || entry.contains(":") || Self.looksNumeric(entry) {
                throw EgressAllowListError(entry: raw, reason: "is not a valid address or CIDR")
            } else if Self.isHostName(entry) {
                hosts.insert(entry.hasSuffix(".") ? String(entry.dropLast()) : entry)
            } else {
                throw EgressAllowListError(entry: raw, reason: "is not a host name, address or CIDR")
            }
        }
        self.allowedHosts = hosts
        self.allowedNetworks = networks
    }

    /// The policy of `APUS_EGRESS_ALLOW` in `environment`, a comma-separated allow list.
    public static func fromEnvironment(_ environment: [String: String]) throws(EgressAllowListError) -> EgressPolicy {
        let list = environment[environmentVariable]?.split(separator: ",").map(String.init) ?? []
        return try EgressPolicy(allow: list)
    }

    /// The policy of `APUS_EGRESS_ALLOW` in this process's environment.
    public static func fromEnvironment() throws(EgressAllowListError) -> EgressPolicy {
        try fromEnvironment(ProcessInfo.processInfo.environment)
    }

    /// Checks `url` and returns where to send it, or throws `.refused` or `.invalidURL`.
    ///
    /// Resolves the host (off the event loops) unless it is allowed by name.
    public func check(_ url: String) async throws(EgressError) -> EgressDestination {
        var destination = try EgressDestination(url)
        if allowedHosts.contains(destination.host) { return destination }
        let addresses = try await HostResolver.addresses(of: destination.host)
        // The addresses are not named: the reason may reach an end user, and internal DNS
        // answers are not theirs to learn.
        guard addresses.allSatisfy(permits) else {
            throw .refused("\(destination.host) is or resolves to an internal address")
        }
        // IPv4 first: a server can have an IPv6 address in DNS without an IPv6 route, and a
        // pinned connection has no other address to fall back to.
        if destination.scheme == "http" {
            destination.pinnedAddress = addresses.first { if case .v4 = $0 { true } else { false } } ?? addresses.first
        }
        return destination
    }

    /// Why `url` is refused without looking anything up: not an http(s) URL, or a host that is
    /// itself an internal address (or `localhost`) the policy does not allow; `nil` otherwise.
    /// For checks at registration, before any call: names are resolved, and checked again, when
    /// the call is made.
    public func refusalWithoutLookup(_ url: String) -> String? {
        let destination: EgressDestination
        do {
            destination = try EgressDestination(url)
        } catch {
            return "\(error)"
        }
        if allowedHosts.contains(destination.host) { return nil }
        if destination.host == "localhost" || destination.host.hasSuffix(".localhost") {
            return "\(destination.host) is an internal address"
        }
        if let address = IPAddress(destination.host), !permits(address) {
            return "\(destination.host) is an internal address"
        }
        // Read as a URL parser reads it: `127.1`, `2130706433` and `0x7f.1` are loopback too.
        if let number = IPAddress.urlHostIPv4(destination.host), !permits(.v4(number)) {
            return "\(destination.host) is an internal address"
        }
        if IPAddress.isMalformedNumericHost(destination.host) {
            return "\(destination.host) is not a valid IPv4 address"
        }
        return nil
    }

    /// Whether a connection to `address` is allowed.
    func permits(_ address: IPAddress) -> Bool {
        let forms = [address] + (address.embeddedIPv4.map { [IPAddress.v4($0)] } ?? [])
        if forms.contains(where: { form in allowedNetworks.contains { $0.contains(form) } }) { return true }
        return !InternalAddresses.contains(address)
    }

    private static func looksNumeric(_ entry: String) -> Bool {
        entry.allSatisfy { $0.isNumber || $0 == "." }
    }

    private static func isHostName(_ entry: String) -> Bool {
        let name = entry.hasSuffix(".") ? entry.dropLast() : Substring(entry)
        guard (1...253).contains(name.count) else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" }
        }
    }
}

/// An `APUS_EGRESS_ALLOW` entry that is neither a host name nor an address block.
public struct EgressAllowListError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The entry as written.
    public let entry: String
    /// What is wrong with it.
    public let reason: String

    public var description: String {
        "invalid configuration: \(EgressPolicy.environmentVariable): '\(entry)' \(reason)"
    }
}
