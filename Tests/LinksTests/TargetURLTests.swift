import ApusCore
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

/// The one form a target is kept in: checked, stored, returned and sent in `Location` alike.
@Suite struct TargetURLFormTests {
    let policy = TargetURLPolicy(blockedHosts: ["evil.com", "bücher.example"], ownHost: "Sho.rt.")

    @Test(arguments: [
        ("https://example.com", "https://example.com/"),
        ("HTTPS://Example.COM./A?b=C#D", "https://example.com/A?b=C#D"),
        ("https://bücher.de/straße?q=ü#é", "https://xn--bcher-kva.de/stra%C3%9Fe?q=%C3%BC#%C3%A9"),
        ("https://ＥＸＡＭＰＬＥ。com/", "https://example.com/"),
        ("https:example.com/x", "https://example.com/x"),
        ("https:////example.com/x", "https://example.com/x"),
        ("https://example.com:443/", "https://example.com/"),
        ("http://example.com:80/", "http://example.com/"),
        ("https://example.com:08443/", "https://example.com:8443/"),
        ("https://example.com?q", "https://example.com/?q"),
        ("https://[2001:DB8::1]:8443/", "https://[2001:db8::1]:8443/"),
        ("https://ex%61mple.com/", "https://example.com/"),
        ("https://e.com/caf%C3%A9", "https://e.com/caf%C3%A9"),
    ])
    func isReadAsABrowserReadsIt(text: String, kept: String) throws {
        #expect(try policy.accept(text).get() == kept)
    }

    @Test func everySpellingOfABlockedOrOwnHostIsRefused() {
        for text in ["https://evil%2Ecom/", "https://ｅｖｉｌ.com/", "https://evil。com/", "https:evil.com", "https://EVIL.COM:443/",
                     "https://xn--bcher-kva.example/", "https://BÜCHER.example/", "https://sho.rt/abc", "https://ＳＨＯ.rt/abc"] {
            #expect(policy.violation(text) != nil, "\(text)")
        }
    }

    @Test func credentialsBadPortsAndBadHostsAreRefused() {
        for text in ["https://bank.com@evil.org/", "https://user:pw@e.com/", "https://e.com:99999/", "https://e.com:8o/",
                     "https://e..com/", "https://e%00.com/", "https://e%2Fx.com/", "https://%zz/", "https://[::1/", "https://" + String(repeating: "a", count: 64) + ".com/"] {
            #expect(policy.violation(text) != nil, "\(text)")
        }
    }
}

@Suite struct BlockedHostSettingTests {
    @Test func blockedHostsAreReadInTheFormTargetsCompareIn() throws {
        let settings = try LinksSettings(Settings(["APUS_LINKS_BLOCKED_HOSTS": "ＥＶＩＬ.com., bücher.example"]))
        #expect(settings.blockedHosts == ["evil.com", "xn--bcher-kva.example"])
    }

    @Test func anEntryThatIsNoHostStopsTheNodeNamingTheSetting() {
        #expect(throws: ConfigurationError.self) { try LinksSettings(Settings(["APUS_LINKS_BLOCKED_HOSTS": "good.com, evil.com/path"])) }
        do {
            _ = try LinksSettings(Settings(["APUS_LINKS_BLOCKED_HOSTS": "a..b"]))
            Issue.record("accepted a..b")
        } catch {
            #expect("\(error)".contains("APUS_LINKS_BLOCKED_HOSTS"))
        }
    }
}
