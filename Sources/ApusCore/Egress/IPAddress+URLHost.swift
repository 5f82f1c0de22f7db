extension IPAddress {
    /// The IPv4 address a URL host spells, read as the WHATWG URL standard (and so browsers,
    /// curl and the resolver's `inet_aton`) reads it: one to four dot-separated numbers, each
    /// decimal, hexadecimal (`0x7f`) or octal (`017`), the last filling the bytes left
    /// (`127.1`, `2130706433`, `0x7f.1`, `017700000001` are all 127.0.0.1). `nil` when the
    /// host does not end in a number (a name), or when it does but is no valid IPv4 address,
    /// which ``isMalformedNumericHost(_:)`` tells apart.
    static func urlHostIPv4(_ host: String) -> UInt32? {
        guard let parts = numericParts(host) else { return nil }
        var numbers: [UInt64] = []
        for part in parts {
            guard let number = number(part) else { return nil }
            numbers.append(number)
        }
        guard (1...4).contains(numbers.count), numbers.dropLast().allSatisfy({ $0 <= 255 }) else { return nil }
        let last = numbers[numbers.count - 1]
        guard last < (UInt64(1) << (8 * (5 - numbers.count))) else { return nil }
        var address = last
        for (index, number) in numbers.dropLast().enumerated() {
            address += number << (8 * (3 - index))
        }
        return UInt32(address)
    }

    /// Whether `host` ends in a number, as an IPv4 address does, but is no valid one (`1.2.3.4.5`,
    /// `256.1.1.1`, `0x`): a URL parser refuses such a host, and so does registration.
    static func isMalformedNumericHost(_ host: String) -> Bool {
        numericParts(host) != nil && urlHostIPv4(host) == nil
    }

    /// The host's dot-separated parts (a trailing dot dropped) when its last part is a number:
    /// all decimal digits, or `0x` and hex digits.
    private static func numericParts(_ host: String) -> [Substring]? {
        var parts = host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count > 1, parts.last?.isEmpty == true { parts.removeLast() }
        guard let last = parts.last, !last.isEmpty else { return nil }
        let lower = last.lowercased()
        let endsInNumber = lower.allSatisfy(\.isASCIIDigit) || (lower.hasPrefix("0x") && lower.dropFirst(2).allSatisfy(\.isHexDigit))
        return endsInNumber ? parts : nil
    }

    private static func number(_ part: Substring) -> UInt64? {
        let lower = part.lowercased()
        if lower.hasPrefix("0x") {
            let digits = lower.dropFirst(2)
            return digits.isEmpty ? 0 : (digits.count <= 16 ? UInt64(digits, radix: 16) : nil)
        }
        if lower.count > 1, lower.hasPrefix("0") { return lower.count <= 23 ? UInt64(lower.dropFirst(), radix: 8) : nil }
        return lower.allSatisfy(\.isASCIIDigit) && !lower.isEmpty && lower.count <= 20 ? UInt64(lower) : nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
