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
