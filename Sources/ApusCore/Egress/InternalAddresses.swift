/// Addresses that reach this machine, its private networks or its cloud provider instead of the
/// public internet: the targets of server-side request forgery.
enum InternalAddresses {
    /// IPv4 blocks never dialled unless allowed.
    static let ipv4: [IPNetwork] = [
        "0.0.0.0/8",  // "this network", including the unspecified address
        "10.0.0.0/8",  // private
        "100.64.0.0/10",  // carrier-grade NAT
        "127.0.0.0/8",  // loopback
        "169.254.0.0/16",  // link-local, including cloud metadata at 169.254.169.254
        "172.16.0.0/12",  // private
        "192.0.0.0/24",  // IETF protocol assignments
        "192.168.0.0/16",  // private
        "198.18.0.0/15",  // benchmarking
        "224.0.0.0/4",  // multicast
        "240.0.0.0/4",  // reserved, including broadcast
    ].map(Self.network)

    /// IPv6 blocks never dialled unless allowed. Translated forms carrying an IPv4 address are
    /// judged by that address instead (see `IPAddress.embeddedIPv4`).
    static let ipv6: [IPNetwork] = [
        "::/96",  // unspecified, loopback and the deprecated IPv4-compatible form
        "64:ff9b:1::/48",  // NAT64 for local use
        "100::/64",  // discard-only
        "fc00::/7",  // unique local (private)
        "fe80::/10",  // link-local
        "fec0::/10",  // deprecated site-local
        "ff00::/8",  // multicast
    ].map(Self.network)

    /// Whether `address` is internal.
    static func contains(_ address: IPAddress) -> Bool {
        if let embedded = address.embeddedIPv4 {
            return contains(.v4(embedded))
        }
        switch address {
        case .v4: return ipv4.contains { $0.contains(address) }
        case .v6: return ipv6.contains { $0.contains(address) }
        }
    }

    private static func network(_ text: String) -> IPNetwork {
        guard let network = IPNetwork(text) else { preconditionFailure("bad built-in network \(text)") }
        return network
    }
}
