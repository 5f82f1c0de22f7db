import ApusKit
import Crypto
import Foundation

/// Checks a `Stripe-Signature` header: `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, where each
/// `v1` is HMAC-SHA256 of `"<t>.<body>"` under the shared secret. Several `v1` values may come
/// (the provider signs with the old and the new secret while one is rotated); one matching is
/// enough. A timestamp outside the tolerance is refused, so a captured delivery cannot be
/// replayed later.
struct PaymentSignature: Sendable {
    let secret: String
    /// Seconds a timestamp may be away from now.
    let tolerance: Double

    /// Why a delivery was refused.
    enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed
        case outsideTolerance
        case noMatch

        var description: String {
            switch self {
            case .malformed: "the Stripe-Signature header is missing or malformed"
            case .outsideTolerance: "the signature's timestamp is outside the tolerance window"
            case .noMatch: "no signature matches the payload"
            }
        }
    }

    /// Throws unless `header` signs `payload` within the tolerance of `now`.
    func verify(header: String?, payload: some Collection<UInt8>, now: Date) throws(Failure) {
        guard let header else { throw .malformed }
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int64(pair[1]) }
            if pair[0] == "v1", let bytes = Self.hexBytes(pair[1]) { signatures.append(bytes) }
        }
        guard let timestamp, !signatures.isEmpty else { throw .malformed }
        guard abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { throw .outsideTolerance }
        let expected = Self.signature(timestamp: timestamp, payload: payload, secret: secret)
        guard signatures.contains(where: { Self.constantTimeEqual($0, expected) }) else { throw .noMatch }
    }

    /// HMAC-SHA256 of `"<timestamp>.<payload>"`.
    static func signature(timestamp: Int64, payload: some Collection<UInt8>, secret: String) -> [UInt8] {
        var message = Array("\(timestamp).".utf8)
        message.append(contentsOf: payload)
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8))))
    }

    /// The header a provider would send for `payload` at `timestamp` (tests and tools).
    static func header(timestamp: Int64, payload: some Collection<UInt8>, secret: String) -> String {
        "t=\(timestamp),v1=" + signature(timestamp: timestamp, payload: payload, secret: secret).hexEncoded
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 97...102: byte - 87
        case 65...70: byte - 55
        default: nil
        }
    }

    /// Compares without stopping at the first difference, so timing tells nothing.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
