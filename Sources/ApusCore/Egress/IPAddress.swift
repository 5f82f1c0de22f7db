#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An IPv4 or IPv6 address as a number, so networks are a mask and a compare.
enum IPAddress: Hashable, Sendable {
    case v4(UInt32)
    case v6(UInt128)

    /// Parses a textual address: dotted-quad IPv4 or IPv6, with or without brackets and zone.
    ///
    /// Only the strict forms are accepted (no `0x7f.1` or `2130706433`): such hosts go through
    /// the resolver, whose answer is what gets checked.
    init?(_ text: some StringProtocol) {
        var text = Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        // A zone (`fe80::1%eth0`) picks an interface; the address is what matters here.
        if let percent = text.firstIndex(of: "%") { text = text[..<percent] }
        let string = String(text)
        var v4 = in_addr()
        if inet_pton(AF_INET, string, &v4) == 1 {
            self = .v4(UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, string, &v6) == 1 else { return nil }
        self = .v6(withUnsafeBytes(of: &v6) { Self.number(bigEndianBytes: $0) })
    }

    /// Reads the address out of a `sockaddr` from the resolver.
    init?(_ address: UnsafePointer<sockaddr>) {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let v4 = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in.self)
            self = .v4(UInt32(bigEndian: v4.sin_addr.s_addr))
        case AF_INET6:
            var v6 = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in6.self).sin6_addr
            self = .v6(withUnsafeBytes(of: &v6) { Self.number(bigEndianBytes: $0) })
        default:
            return nil
        }
    }

    /// The IPv4 address carried inside an IPv6 one by a translation scheme, if any: IPv4-mapped
    /// (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) and 6to4 (`2002:aabb:ccdd::`). Each reaches
    /// the IPv4 host, so each is judged as that host.
    var embeddedIPv4: UInt32? {
        guard case .v6(let value) = self else { return nil }
        if value >> 32 == 0xffff || value >> 32 == UInt128(0x64_ff9b) << 64 {
            return UInt32(truncatingIfNeeded: value)
        }
        if value >> 112 == 0x2002 {
            return UInt32(truncatingIfNeeded: value >> 80)
        }
        return nil
    }

    /// The address as written in a URL authority (IPv6 in brackets).
    var uriHost: String {
        switch self {
        case .v4: description
        case .v6: "[\(description)]"
        }
    }

    private static func number(bigEndianBytes bytes: UnsafeRawBufferPointer) -> UInt128 {
        bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
    }
}

extension IPAddress: CustomStringConvertible {
    var description: String {
        switch self {
        case .v4(let value):
            return (0..<4).map { String(value >> (24 - 8 * $0) & 0xff) }.joined(separator: ".")
        case .v6(var value):
            var bytes = [UInt8](repeating: 0, count: 16)
            for index in (0..<16).reversed() {
                bytes[index] = UInt8(truncatingIfNeeded: value)
                value >>= 8
            }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, bytes, &buffer, socklen_t(buffer.count)) != nil else { return "::" }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
