import Foundation

/// One visit to a short link, as analytics keep it: no raw address is ever stored.
struct Click: Sendable, Equatable {
    let code: String
    let at: Date
    let referrerHost: String?
    let agent: UserAgentClass
    let country: String?
    /// A hash of address, user agent and a salt that changes daily: counts unique visitors
    /// within a day without being able to tell who they are.
    let visitor: String
}
