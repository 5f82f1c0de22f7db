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

/// A click as analytics keep it.
struct ClickRecord: Sendable, Equatable {
    let code: String
    let at: Date
    let referrerHost: String?
    let agent: UserAgentClass
    let country: String?
    /// A hash of address, user agent and a salt that changes daily: counts unique visitors
    /// within a day without being able to tell who they are.
    let visitor: String
}
