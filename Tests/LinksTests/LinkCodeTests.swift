@testable import Links
import Testing

@Suite struct LinkCodeTests {
    @Test func thePermutationIsABijectionThatHidesTheSequence() {
        let codes = LinkCode(key: 0xDEAD_BEEF)
        var seen = Set<UInt64>()
        for number in UInt64(0)..<20_000 {
            let permuted = codes.permute(number)
            #expect(permuted < 1 << 36)
            #expect(codes.unpermute(permuted) == number)
            seen.insert(permuted)
        }
        #expect(seen.count == 20_000)
        // Neighbours land far apart, and another install's key gives other codes.
        #expect(codes.code(for: 1) != codes.code(for: 2))
        #expect(abs(Int64(codes.permute(1)) - Int64(codes.permute(2))) > 1000)
        #expect(LinkCode(key: 1).code(for: 1) != codes.code(for: 1))
        #expect(codes.code(for: 12345).count <= 7)
    }

    @Test func aliasesAndTagsFollowTheirAlphabet() {
        #expect(LinkCode.isValidAlias("my-link_2"))
        #expect(!LinkCode.isValidAlias("ab"))
        #expect(!LinkCode.isValidAlias("has space"))
        #expect(!LinkCode.isValidAlias(String(repeating: "a", count: 65)))
        #expect(LinkCode.isValidTag("q4"))
        #expect(!LinkCode.isValidTag("a/b"))
    }

    @Test func userAgentsAreClassified() {
        let iphone = UserAgentClass("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1")
        #expect(iphone == UserAgentClass(browser: "Safari", os: "iOS", device: "mobile", isBot: false))
        let chrome = UserAgentClass("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36")
        #expect(chrome == UserAgentClass(browser: "Chrome", os: "Windows", device: "desktop", isBot: false))
        #expect(UserAgentClass("Googlebot/2.1 (+http://www.google.com/bot.html)").isBot)
        #expect(UserAgentClass(nil).isBot)
    }

    @Test func targetsMustBeHTTPURLsElsewhere() {
        let policy = TargetURLPolicy(blockedHosts: ["evil.example"], ownHost: "sho.rt")
        #expect(policy.violation("https://example.com/a?b=c") == nil)
        for bad in ["javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "ftp://example.com", "https://", "/relative",
                    "https://evil.example/x", "https://www.evil.example/", "https://sho.rt/abc", "https://e.com/" + String(repeating: "a", count: 8200)] {
            #expect(policy.violation(bad) != nil, "\(bad) was accepted")
        }
    }
}
