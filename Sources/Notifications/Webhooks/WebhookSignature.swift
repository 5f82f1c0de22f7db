import Crypto
import Foundation

/// Signs webhook deliveries as Standard Webhooks 1.0 has it: HMAC-SHA256 over
/// `id.timestamp.body` with the secret after `whsec_` (base64), sent as `v1,<base64>`.
enum WebhookSignature {
    /// The three headers of a signed delivery.
    static func headers(secret: String, messageID: String, timestamp: Date, body: [UInt8]) -> [(String, String)] {
        let seconds = String(Int(timestamp.timeIntervalSince1970))
        return [
            ("webhook-id", messageID),
            ("webhook-timestamp", seconds),
            ("webhook-signature", sign(secret: secret, messageID: messageID, timestamp: seconds, body: body)),
        ]
    }

    /// `v1,` and the base64 HMAC of `messageID.timestamp.body`.
    static func sign(secret: String, messageID: String, timestamp: String, body: [UInt8]) -> String {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        // The reference libraries accept base64 without its padding; Foundation wants it.
        let padded = encoded + String(repeating: "=", count: (4 - encoded.utf8.count % 4) % 4)
        let key = SymmetricKey(data: Data(base64Encoded: padded) ?? Data(encoded.utf8))
        var content = Data("\(messageID).\(timestamp).".utf8)
        content.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: key)
        return "v1," + Data(mac).base64EncodedString()
    }
}
