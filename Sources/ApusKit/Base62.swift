/// Base62 encoding of unsigned integers with the alphabet `0-9A-Za-z`.
///
/// Used for short, URL-safe codes: a 64-bit number never needs more than 11 characters.
public enum Base62 {
    /// The 62 symbols in value order.
    public static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, symbol) in alphabet.enumerated() { table[Int(symbol)] = Int8(index) }
        return table
    }()

    /// Encodes a number; zero is `"0"`.
    public static func encode(_ value: UInt64) -> String {
        if value == 0 { return "0" }
        var length = 0
        var probe = value
        while probe > 0 {
            length += 1
            probe /= 62
        }
        // Written straight into the string's storage, last digit first: no intermediate array.
        return String(unsafeUninitializedCapacity: length) { buffer in
            var rest = value
            for position in stride(from: length - 1, through: 0, by: -1) {
                buffer[position] = alphabet[Int(rest % 62)]
                rest /= 62
            }
            return length
        }
    }

    /// Decodes a code, or returns `nil` for an empty string, a foreign symbol or a value past `UInt64.max`.
    public static func decode(_ code: some StringProtocol) -> UInt64? {
        guard !code.isEmpty else { return nil }
        var value: UInt64 = 0
        for symbol in code.utf8 {
            let digit = values[Int(symbol)]
            guard digit >= 0 else { return nil }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 62)
            let (sum, overflowB) = shifted.addingReportingOverflow(UInt64(digit))
            guard !overflowA, !overflowB else { return nil }
            value = sum
        }
        return value
    }
}
