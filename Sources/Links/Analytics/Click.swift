import Foundation

/// One visit to a short link as the redirect saw it. It waits in memory only: classifying the
/// agent and hashing the visitor happen when the batch is written, off the redirect's path, and
/// the address itself is never stored.
struct Click: Sendable, Equatable {
    let code: String
    let at: Date
    let referrer: String?
    let userAgent: String?
    let address: String
    let country: String?
}
