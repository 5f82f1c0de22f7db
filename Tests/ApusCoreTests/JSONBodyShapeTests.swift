@testable import ApusCore
import ApusTesting
import Foundation
import NIOCore
import Testing

/// A request body is read once, linearly, before it is decoded: its depth is bounded, and the
/// field of a number out of range is found in the bytes, whatever the body's shape.
@Suite struct JSONBodyShapeTests {
    private static func depth(_ text: String) -> Int { JSONBodyShape(scanning: ByteBuffer(string: text)).depth }

    private static func nonInteger(_ text: String) -> String? {
        Array(text.utf8).withUnsafeBytes { JSONNonIntegerField.find(in: $0) }
    }

    @Test func depthCountsContainersButNotBracketsInStrings() {
        #expect(Self.depth("1") == 0)
        #expect(Self.depth(#"{"a":[1,{"b":[]}]}"#) == 4)
        #expect(Self.depth(#"{"a":"[[[{{{"}"#) == 1)
        #expect(Self.depth(#"["\"[[", ["x\\"], [[]]]"#) == 3)
        #expect(Self.depth(String(repeating: "[", count: 500) + String(repeating: "]", count: 500)) == 500)
    }

    @Test func theFirstNumberThatIsNoIntegerIsNamedByItsPath() {
        #expect(Self.nonInteger(#"{"name":"x","repeat_count":1e30}"#) == "repeat_count")
        #expect(Self.nonInteger(#"{"variants":[{"price":1},{"price":2.5}]}"#) == "variants[1].price")
        #expect(Self.nonInteger(#"{"a":"1.5","b":[1,2,-3,1e3],"c":{"d\"e":-0.5}}"#) == #"c.d"e"#)
        #expect(Self.nonInteger(#"[[[[1, 99999999999999999999]]]]"#) == "[0][0][0][1]")
        #expect(Self.nonInteger(#"{"a":{},"b":[],"c":[{}, 7.25]}"#) == "c[1]")
        #expect(Self.nonInteger(#"{"a":1,"b":[2,3],"c":{"d":null,"e":true}}"#) == nil)
        #expect(Self.nonInteger("not json") == nil)
    }

    @Test func aBodyNestedPastTheLimitIsA400BeforeAnyDecoding() async throws {
        try await TestServer.withServer { _, client in
            let limit = JSONBodyShape.maximumDepth
            func nested(_ depth: Int) -> String {
                #"{"name":"x","repeat_count":1,"pad":"# + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1) + "}"
            }
            #expect(try await client.json("/v1/echo", .post, body: nested(limit)).status == .ok)
            let refused = try await client.json("/v1/echo", .post, body: nested(limit + 1))
            #expect(refused.status == .badRequest)
            #expect(try refused.decoded(ProblemResponseTests.ProblemBody.self).detail?.contains("\(limit) levels") == true)
        }
    }

    @Test func aNumberOutOfRangeBehindNestedArraysIsA422NamingItsField() async throws {
        try await TestServer.withServer { _, client in
            let pad = String(repeating: "[", count: 60) + "1" + String(repeating: "]", count: 60)
            let refused = try await client.json("/v1/echo", .post, body: #"{"name":"x","pad":[\#(pad),\#(pad)],"repeat_count":1.5}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.decoded(ProblemResponseTests.ProblemBody.self).errors == [.init(field: "repeat_count", message: "must be an integer in range")])
        }
    }
}
