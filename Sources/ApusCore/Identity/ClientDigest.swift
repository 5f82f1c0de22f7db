import ApusKit
import Crypto
import Foundation

/// A client as sessions remember it: a digest of its address, not the address itself, enough to
/// recognise a client that signed in before.
struct ClientDigest: Sendable, Equatable {
    let value: String

    init(address: String) {
        let digest = SHA256.hash(data: Data("apus session client\u{0}\(address.lowercased())".utf8))
        value = digest.prefix(16).hexEncoded
    }
}
