/// A block of addresses in CIDR form (`10.0.0.0/8`, `fc00::/7`).
struct IPNetwork: Hashable, Sendable {
    /// The first address of the block (host bits cleared).
    let base: IPAddress
    /// How many leading bits are fixed.
    let prefixLength: Int

    /// Parses `address/bits`; a bare address is a block of one.
    init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let width = address.bitWidth
        var bits = width
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...width).contains(parsed) else { return nil }
            bits = parsed
        }
        self.init(address, prefixLength: bits)
    }

    /// The block of `prefixLength` bits around `address`.
    init(_ address: IPAddress, prefixLength: Int) {
        self.prefixLength = prefixLength
        switch address {
        case .v4(let value): self.base = .v4(value & Self.mask(UInt32.self, prefixLength))
        case .v6(let value): self.base = .v6(value & Self.mask(UInt128.self, prefixLength))
        }
    }

    /// Whether `address` lies in the block; an IPv4 block never holds an IPv6 address, nor the reverse.
    func contains(_ address: IPAddress) -> Bool {
        switch (base, address) {
        case (.v4(let base), .v4(let value)): value & Self.mask(UInt32.self, prefixLength) == base
        case (.v6(let base), .v6(let value)): value & Self.mask(UInt128.self, prefixLength) == base
        default: false
        }
    }

    private static func mask<Word: FixedWidthInteger & UnsignedInteger>(_: Word.Type, _ bits: Int) -> Word {
        // A smart shift by the full width gives zero, the mask of /0.
        ~Word.zero << (Word.bitWidth - bits)
    }
}

extension IPAddress {
    /// 32 or 128.
    var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }
}

extension IPNetwork: CustomStringConvertible {
    var description: String { "\(base)/\(prefixLength)" }
}
