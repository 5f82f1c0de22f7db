@testable import ApusCore
import Foundation
import JWTKit
import Testing

/// The node's cache of checked tokens hashes only a token's signature end, but a hit still needs
/// the whole token: a token that shares the end and differs before it is another entry.
@Suite struct VerifiedTokensTests {
    static func claims(_ user: String, expires: Date) -> AccessClaims {
        AccessClaims(sub: .init(value: user), iat: .init(value: expires.addingTimeInterval(-60)), exp: .init(value: expires), jti: .init(value: "j-\(user)"), sid: "ses_\(user)", roles: ["admin", "no-such-role"])
    }

    @Test func tokensAreTheSameKeyOnlyWhenWhole() {
        let signature = String(repeating: "s", count: TokenKey.hashedBytes)
        let first = TokenKey("header.payload-one." + signature)
        let second = TokenKey("header.payload-two." + signature)
        #expect(first.hashValue == second.hashValue)
        #expect(first != second)
        #expect(first == TokenKey("header.payload-one." + signature))
        // Shorter than the hashed end: the whole token is hashed, so its first byte counts.
        #expect(TokenKey("short").hashValue != TokenKey("Short").hashValue)
        #expect(TokenKey("short") != TokenKey("shorts"))
        // Bytes, not canonical equivalence: KELVIN SIGN is not the letter K here.
        #expect(TokenKey("a.b.\u{212A}") != TokenKey("a.b.K"))
    }

    @Test func aTokenIsFoundUntilItExpiresAndNamesItsCaller() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let tokens = VerifiedTokens()
        let tail = "." + String(repeating: "x", count: 40)
        tokens.remember("a" + tail, VerifiedToken(Self.claims("usr_a", expires: now.addingTimeInterval(60))))
        tokens.remember("b" + tail, VerifiedToken(Self.claims("usr_b", expires: now.addingTimeInterval(60))))
        let found = tokens.token("a" + tail, now: now)
        #expect(found?.principal.userID == "usr_a")
        #expect(found?.principal.sessionID == "ses_usr_a")
        // Roles the node does not know are dropped, as before.
        #expect(found?.principal.roles == [.admin])
        #expect(tokens.token("b" + tail, now: now)?.principal.userID == "usr_b")
        #expect(tokens.token("c" + tail, now: now) == nil)
        #expect(tokens.token("a" + tail, now: now.addingTimeInterval(60)) == nil)
    }
}
