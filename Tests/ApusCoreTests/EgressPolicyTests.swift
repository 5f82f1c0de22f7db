@testable import ApusCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Synchronization
import Testing

/// The SSRF guard and the allow list.
extension EgressTests {
    // MARK: Policy

    @Test(arguments: [
        "http://127.0.0.1/", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/",
        "http://localhost/", "http://LOCALHOST./", "http://[::ffff:127.0.0.1]/", "http://[::ffff:a9fe:a9fe]/", "http://0.0.0.0/",
        "http://100.64.0.1/", "http://192.168.1.1/", "http://172.16.0.1/", "http://[fe80::1]/", "http://[fd00::1]/",
        "http://224.0.0.1/", "http://[64:ff9b::a00:1]/", "http://2130706433/",
    ])
    func internalDestinationsAreRefused(url: String) async throws {
        let policy = try EgressPolicy()
        await #expect(refusal(of: url, by: policy) == "refused")
    }

    @Test(arguments: [
        "http://017700000001/", "http://0x7f.1/", "http://2130706433/", "http://127.1/", "http://0x7F000001/", "http://0177.0.0.1/",
        "http://10.1/", "http://169.254.43518/", "http://0xa9.0xfe.0xa9.0xfe/", "http://0/", "http://127.0.0.1./",
    ])
    func internalAddressesSpelledAsURLNumbersAreRefusedAtRegistration(url: String) throws {
        let refusal = try EgressPolicy().refusalWithoutLookup(url)
        #expect(refusal?.contains("is an internal address") == true, "\(refusal ?? "accepted")")
    }

    @Test func numericHostsReadAsAURLParserReadsThem() throws {
        #expect(IPAddress.urlHostIPv4("017700000001") == 0x7F00_0001)
        #expect(IPAddress.urlHostIPv4("0x7f.1") == 0x7F00_0001)
        #expect(IPAddress.urlHostIPv4("127.1") == 0x7F00_0001)
        #expect(IPAddress.urlHostIPv4("1.2.3") == 0x0102_0003)
        #expect(IPAddress.urlHostIPv4("8.8.8.8") == 0x0808_0808)
        #expect(IPAddress.urlHostIPv4("0x.0") == 0)
        #expect(IPAddress.urlHostIPv4("example.com") == nil)
        #expect(IPAddress.urlHostIPv4("1.example") == nil)
        #expect(!IPAddress.isMalformedNumericHost("example.com"))
        #expect(!IPAddress.isMalformedNumericHost("8.8.8.8"))
        for malformed in ["1.2.3.4.5", "256.1.1.1", "1.16777216", "4294967296", "09", "0x1g.1"] {
            #expect(IPAddress.urlHostIPv4(malformed) == nil && IPAddress.isMalformedNumericHost(malformed), "\(malformed)")
        }
        #expect(try EgressPolicy().refusalWithoutLookup("http://1.2.3.4.5/")?.contains("not a valid IPv4 address") == true)
        #expect(try EgressPolicy().refusalWithoutLookup("http://8.8.8.8/") == nil)
        #expect(try EgressPolicy().refusalWithoutLookup("http://134744072/") == nil)
    }

    @Test func onlyHTTPAndHTTPSAreSpoken() async throws {
        let policy = try EgressPolicy()
        await #expect(refusal(of: "ftp://example.com/file", by: policy) == "refused")
        await #expect(refusal(of: "file:///etc/passwd", by: policy) == "refused")
        await #expect(refusal(of: "not a url", by: policy) == "invalid_url")
        await #expect(refusal(of: "http:///path", by: policy) == "invalid_url")
    }

    @Test func publicAddressesPassAndPlainHTTPIsPinnedToTheCheckedAddress() async throws {
        let policy = try EgressPolicy()
        let destination = try await policy.check("http://93.184.216.34:8080/a?b=c")
        #expect(destination.authority == "93.184.216.34:8080")
        #expect(destination.requestURL == "http://93.184.216.34:8080/a?b=c")
        let v6 = try await policy.check("https://[2606:4700::1]/")
        #expect(v6.authority == "[2606:4700::1]:443")
        #expect(v6.pinnedAddress == nil)
    }

    @Test func theAllowListOpensHostNamesAndAddressBlocks() async throws {
        let policy = try EgressPolicy(allow: ["localhost", " 10.0.0.0/8 ", "fd00::/8", "192.168.1.5"])
        #expect(try await policy.check("http://localhost:9/").pinnedAddress == nil)
        #expect(try await policy.check("http://10.20.30.40/").authority == "10.20.30.40:80")
        #expect(try await policy.check("http://[fd00::5]/").authority == "[fd00::5]:80")
        #expect(try await policy.check("http://[::ffff:10.1.1.1]/").port == 80)
        #expect(try await policy.check("http://192.168.1.5/").host == "192.168.1.5")
        await #expect(refusal(of: "http://192.168.1.6/", by: policy) == "refused")
        await #expect(refusal(of: "http://127.0.0.1/", by: policy) == "refused")
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0.0/", "300.1.1.1", "fe80::/129", "not a host!", "http://example.com", "-bad.example"])
    func aBadAllowListEntryIsNamed(entry: String) {
        #expect {
            try EgressPolicy(allow: ["ok.example", entry])
        } throws: { error in
            guard let error = error as? EgressAllowListError else { return false }
            return error.entry == entry && error.description.hasPrefix("invalid configuration: APUS_EGRESS_ALLOW: '\(entry)' is not")
        }
    }

    @Test func theAllowListIsReadFromTheEnvironment() throws {
        let policy = try EgressPolicy.fromEnvironment(["APUS_EGRESS_ALLOW": "Hooks.Internal., 10.0.0.0/8,,"])
        #expect(policy.allowedHosts == ["hooks.internal"])
        #expect(policy.allowedNetworks == [IPNetwork("10.0.0.0/8")!])
        #expect(try EgressPolicy.fromEnvironment([:]).allowedHosts.isEmpty)
    }

    @Test func addressesInsideTranslatedIPv6FormsAreJudgedAsIPv4() throws {
        #expect(InternalAddresses.contains(try #require(IPAddress("::ffff:10.0.0.1"))))
        #expect(InternalAddresses.contains(try #require(IPAddress("64:ff9b::169.254.169.254"))))
        #expect(InternalAddresses.contains(try #require(IPAddress("2002:7f00:1::"))))
        #expect(!InternalAddresses.contains(try #require(IPAddress("::ffff:8.8.8.8"))))
        #expect(!InternalAddresses.contains(try #require(IPAddress("8.8.8.8"))))
        #expect(!InternalAddresses.contains(try #require(IPAddress("2606:4700::1111"))))
        #expect(IPAddress("0x7f.1") == nil)
        #expect(IPAddress("[fe80::1%eth0]") == IPAddress("fe80::1"))
        #expect(IPNetwork("0.0.0.0/0")!.contains(.v4(0xffff_ffff)))
        #expect(!IPNetwork("0.0.0.0/0")!.contains(IPAddress("::1")!))
    }
}
