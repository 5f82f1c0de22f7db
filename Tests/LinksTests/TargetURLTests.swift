import Testing

@testable import Links

/// What a link may point at, read as a browser reads it.
@Suite struct TargetURLTests {
    let policy = TargetURLPolicy(blockedHosts: ["evil.com"], ownHost: "sho.rt")

    @Test func blockedAndOwnHostsCannotBeReachedByATrailingDotOrABackslash() {
        for url in ["https://evil.com/", "https://evil.com./", "https://EVIL.com../x", "https://a.evil.com./", "https://evil.com\\@good.com/", "https://sho.rt./abc", "https://SHO.RT/abc"] {
            #expect(policy.violation(url) != nil, "\(url)")
        }
        #expect(policy.violation("https://good.com/path?q=1") == nil)
        #expect(policy.violation("https://notevil.com/") == nil)
    }

    @Test func controlSeparatorAndInvisibleCharactersAreRefused() {
        for url in ["https://e.com/a\r\nSet-Cookie: x=1", "https://e.com/\u{2028}", "https://e.com/\u{85}", "https://e.com/a b", "https://e.com/\u{200B}", "https://e.com/\t"] {
            #expect(policy.violation(url) != nil, "\(url.unicodeScalars.map(\.value))")
        }
        #expect(policy.violation("https://e.com/caf%C3%A9") == nil)
    }
}
