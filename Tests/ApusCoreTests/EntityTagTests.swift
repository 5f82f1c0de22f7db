import ApusCore
import HTTPTypes
import Testing

@Suite struct EntityTagTests {
    let tag = EntityTag("abc123")

    @Test func ifNoneMatchComparesWeaklyAndTakesAListOrAStar() {
        #expect(tag.header == "\"abc123\"")
        #expect(tag.matches(ifNoneMatch: "\"abc123\""))
        #expect(tag.matches(ifNoneMatch: "W/\"abc123\""))
        #expect(tag.matches(ifNoneMatch: "\"other\", \"abc123\""))
        #expect(tag.matches(ifNoneMatch: " * "))
        #expect(!tag.matches(ifNoneMatch: "\"other\""))
        #expect(!tag.matches(ifNoneMatch: "abc123"))
    }

    @Test func ifRangeAllowsTheRangeOnlyForTheSameStrongTag() {
        #expect(tag.allowsRange(ifRange: "\"abc123\""))
        #expect(!tag.allowsRange(ifRange: "W/\"abc123\""))
        #expect(!tag.allowsRange(ifRange: "Tue, 01 Dec 2026 10:00:00 GMT"))
    }

    @Test func aChangeWithoutIfMatchIs428AndAMalformedOneIs400() throws {
        #expect(throws: Problem.self) { try IfMatch.required([:], detail: "Say which version.") }
        do {
            _ = try IfMatch.required([:], detail: "Say which version.")
        } catch {
            #expect(error.status == .preconditionRequired && error.detail == "Say which version.")
        }
        for malformed in ["3", "\"3", "\"a\"b\"", "W/", ","] {
            do {
                _ = try IfMatch.required([.ifMatch: malformed], detail: "")
                Issue.record("If-Match: \(malformed) was taken")
            } catch {
                #expect(error.status == .badRequest, "\(malformed)")
            }
        }
    }

    @Test func ifMatchIsAStarOrTheTagsItLists() throws {
        #expect(try IfMatch.required([.ifMatch: " * "], detail: "") == .any)
        #expect(try IfMatch.required([.ifMatch: "\"3\""], detail: "") == .tags([EntityTag("3")]))
        #expect(try IfMatch.required([.ifMatch: "\"3\", W/\"4\""], detail: "") == .tags([EntityTag("3"), EntityTag("4")]))
    }
}
