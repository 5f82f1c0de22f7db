import ApusCore
import Testing

/// What `apus serve` says to a person at a terminal, and the log format it picks.
@Suite struct StartupBannerTests {
    @Test func theBannerSaysWhereEverythingIsAndHowToMakeTheFirstAdmin() {
        let banner = StartupBanner(version: "1.2.3", baseURL: "http://127.0.0.1:8080", database: "SQLite in ./data", modules: ["links", "chat"], hasAdmin: false)
        let text = banner.text
        #expect(text.hasPrefix("apus 1.2.3 is serving http://127.0.0.1:8080\n"))
        #expect(text.contains("http://127.0.0.1:8080/v1/openapi.json"))
        #expect(text.contains("SQLite in ./data") && text.contains("links, chat"))
        #expect(text.contains("apus user create --email you@example.com --role admin"))
        var withAdmin = banner
        withAdmin.hasAdmin = true
        #expect(!withAdmin.text.contains("No admin yet"))
        #expect(withAdmin.text.contains("Stop with Ctrl-C."))
    }

    @Test func aChosenFormatWinsElseTextForATerminalAndJSONForAMachine() {
        #expect(LogFormat.resolved(nil, terminal: true) == .text)
        #expect(LogFormat.resolved(nil, terminal: false) == .json)
        #expect(LogFormat.resolved(.json, terminal: true) == .json)
        #expect(LogFormat.resolved(.text, terminal: false) == .text)
    }
}
