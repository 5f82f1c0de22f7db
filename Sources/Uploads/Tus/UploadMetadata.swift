import Foundation

/// `Upload-Metadata`: comma-separated pairs of a key and its Base64 value (the value may be
/// absent). Kept as the client sent it once checked, since `HEAD` must give it back.
struct UploadMetadata: Sendable, Equatable {
    /// The header as received.
    let header: String
    /// Decoded values by key (a value that is not UTF-8 is kept only in ``header``).
    let values: [String: String]

    /// At most this much header is accepted.
    static let maximumLength = 4096

    /// `header` checked; `nil` when malformed (a key twice, a bad key or value).
    init?(_ header: String) {
        guard header.utf8.count <= Self.maximumLength else { return nil }
        var values: [String: String] = [:]
        var keys: Set<String> = []
        for pair in header.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let key = parts.first, !key.isEmpty,
                key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), keys.insert(String(key)).inserted
            else { return nil }
            if parts.count == 2 {
                guard let data = Data(base64Encoded: String(parts[1])) else { return nil }
                values[String(key)] = String(data: data, encoding: .utf8)
            } else {
                values[String(key)] = ""
            }
        }
        self.header = header
        self.values = values
    }
}
