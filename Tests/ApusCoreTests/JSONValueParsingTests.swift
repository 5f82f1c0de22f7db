@testable import ApusCore
import Foundation
import Testing

/// `JSONValue(parsing:)` reads JSON in one pass, as Foundation reads it, and a decoding that
/// carries its text (`JSONValueSource`) takes any `JSONValue` inside from that parse.
@Suite struct JSONValueParsingTests {
    private static func parse(_ text: String, depth: Int = 512) throws -> JSONValue {
        try JSONValue(parsing: Array(text.utf8), maximumDepth: depth)
    }

    @Test func itReadsWhatFoundationReads() throws {
        let texts = [
            #"{"a":[1,-2.5,3e2,true,false,null],"b":{"c":"d\"e\\f\/g\n\t\u00e9\ud83d\ude00"},"e":[],"f":{}}"#,
            " [ 0 , \"x\" ] ", "\"just a string\"", "42", "null",
        ]
        for text in texts {
            #expect(try Self.parse(text) == (try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))), "\(text)")
        }
        #expect(try Self.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try Self.parse(#"{"k":1,"k":2}"#) == ["k": 2])
        #expect(try Self.parse("[0, -0, 0.5, -1.25e-3, 1E+2, 10]") == [0, 0, 0.5, -0.00125, 100, 10])
    }

    @Test(arguments: [#"{"a":1"#, "[1,]", "[1 2]", #"{"a" 1}"#, #""\x""#, "\"a\u{01}b\"", #""\ud800""#, "tru", "1 2", "", "-", "[01]", "1.", "-.5", ".5", "1e", "1e+", "+1", "1e400", "-1e999"])
    func malformedTextIsRefused(text: String) {
        #expect(throws: JSONValue.ParseError.self) { try Self.parse(text) }
    }

    @Test func nestingPastTheLimitIsRefused() throws {
        let deep = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(try Self.parse(deep, depth: 10) != .null)
        #expect(throws: JSONValue.ParseError.self) { try Self.parse(deep, depth: 9) }
    }

    struct Envelope: Decodable, Equatable {
        var eventData: JSONValue
        var items: [Item]
        struct Item: Decodable, Equatable { var payload: JSONValue? }
    }

    @Test func aDecodingWithItsSourceTakesEachValueFromTheParseByItsPath() throws {
        let text = Data(#"{"event_data":[[[1,{"x":"y"}]]],"items":[{"payload":{"n":[true]}},{}]}"#.utf8)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let probed = try decoder.decode(Envelope.self, from: text)
        let sourced = try JSONValueSource.$current.withValue(JSONValueSource(text)) { try decoder.decode(Envelope.self, from: text) }
        #expect(sourced == probed)
        #expect(sourced.eventData == [[[1, ["x": "y"]]]])
        #expect(sourced.items.map(\.payload) == [["n": [true]], nil])
    }
}
