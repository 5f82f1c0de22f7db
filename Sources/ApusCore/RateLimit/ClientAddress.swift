/// The client's address: the peer's, unless the peer is a trusted proxy, in which case the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
public struct ClientAddress: Sendable {
    private let trusted: [Matcher]

    enum Matcher: Sendable, Equatable {
        case exact(String)
        case ipv4(network: UInt32, mask: UInt32)
    }

    /// `proxies` lists addresses or IPv4 CIDRs (`10.0.0.0/8`).
    public init(trustedProxies proxies: [String]) throws(ConfigurationError) {
        var matchers: [Matcher] = []
        for proxy in proxies {
            if let slash = proxy.firstIndex(of: "/") {
                guard let network = Self.ipv4(proxy[..<slash]), let bits = Int(proxy[proxy.index(after: slash)...]), (0...32).contains(bits) else {
                    throw .invalid("APUS_TRUSTED_PROXIES", "'\(proxy)' is not an address or IPv4 CIDR")
                }
                let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
                matchers.append(.ipv4(network: network & mask, mask: mask))
            } else {
                matchers.append(.exact(proxy.lowercased()))
            }
        }
        self.trusted = matchers
    }

    /// The client's address; `forwardedFor` (the request's `X-Forwarded-For`) is read only when
    /// the peer is a trusted proxy.
    public func resolve(peer: String?, forwardedFor: @autoclosure () -> String?) -> String {
        guard let peer else { return "unknown" }
        guard !trusted.isEmpty, isTrusted(peer), let forwardedFor = forwardedFor() else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last { !isTrusted($0) } ?? hops.first ?? peer
    }

    func isTrusted(_ address: String) -> Bool {
        trusted.contains { matcher in
            switch matcher {
            case .exact(let value): return value == address.lowercased()
            case .ipv4(let network, let mask): return Self.ipv4(Substring(address)).map { $0 & mask == network } ?? false
            }
        }
    }

    static func ipv4(_ text: Substring) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}
