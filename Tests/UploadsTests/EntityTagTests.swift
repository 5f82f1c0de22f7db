import Testing
@testable import Uploads

@Suite struct EntityTagTests {
    let tag = EntityTag(sha256: "abc123")

    @Test func ifNoneMatchComparesWeaklyAndTakesAListOrAStar() {
        #expect(tag.header == "\"abc123\"")
        #expect(tag.matches(ifNoneMatch: "\"abc123\""))
        #expect(tag.matches(ifNoneMatch: "W/\"abc123\""))
        #expect(tag.matches(ifNoneMatch: "\"other\", \"abc123\""))
        #expect(tag.matches(ifNoneMatch: "*"))
        #expect(!tag.matches(ifNoneMatch: "\"other\""))
        #expect(!tag.matches(ifNoneMatch: "abc123"))
    }

    @Test func ifRangeAllowsTheRangeOnlyForTheSameStrongTag() {
        #expect(tag.allowsRange(ifRange: "\"abc123\""))
        #expect(!tag.allowsRange(ifRange: "W/\"abc123\""))
        #expect(!tag.allowsRange(ifRange: "Tue, 01 Dec 2026 10:00:00 GMT"))
    }
}
