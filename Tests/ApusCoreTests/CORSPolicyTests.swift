import ApusCore
import HTTPTypes
import Testing

@Suite struct CORSPolicyTests {
    @Test func originsAreReadAsBrowsersWriteThem() throws {
        let policy = try CORSPolicy.parse(" https://App.Example.com/ , http://localhost:5173, https://b.example:443")
        #expect(policy.origins == ["https://app.example.com", "http://localhost:5173", "https://b.example"])
        #expect(!policy.allowsEveryOrigin)
        #expect(policy.allowedOrigin([.origin: "https://app.example.com"]) == "https://app.example.com")
        #expect(policy.allowedOrigin([.origin: "http://localhost:5173"]) != nil)
        #expect(policy.allowedOrigin([.origin: "https://evil.example"]) == nil)
        #expect(policy.allowedOrigin([.origin: "http://app.example.com"]) == nil, "another scheme is another origin")
        #expect(policy.allowedOrigin([:]) == nil)
        let every = try CORSPolicy.parse("*")
        #expect(every.allowedOrigin([.origin: "https://anything.example"]) == "https://anything.example")
    }

    @Test func unsetMeansNoCORS() throws {
        #expect(try ApusConfiguration(environment: [:]).cors == .disabled)
        #expect(!CORSPolicy.disabled.isEnabled)
        #expect(CORSPolicy.disabled.allowedOrigin([.origin: "https://app.example.com"]) == nil)
    }

    @Test(arguments: ["app.example.com", "https://app.example.com/path", "ftp://x", "https://", "null", "https://a b"])
    func aBadEntryStopsTheNodeNamingTheSetting(entry: String) {
        #expect(throws: ConfigurationError.invalid("APUS_CORS_ORIGINS", "'\(entry)' is no origin (scheme://host[:port], no path) nor *")) {
            try ApusConfiguration(environment: ["APUS_CORS_ORIGINS": "https://ok.example, \(entry)"])
        }
    }
}
