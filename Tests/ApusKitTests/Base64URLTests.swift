import ApusKit
import Foundation
import Testing

@Suite struct Base64URLTests {
    @Test func roundTripsEveryLengthWithoutPaddingOrStandardLetters() {
        for length in 0..<70 {
            let bytes = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) })
            let text = bytes.base64URLEncoded
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Data(base64URLEncoded: text) == bytes)
        }
        #expect(Data([0xfb, 0xff]).base64URLEncoded == "-_8")
    }

    @Test func refusesWhatIsNotUnpaddedBase64URL() {
        for text in ["-_8=", "+/8", "a", "abcde", "ab c", "ab\n"] {
            #expect(Data(base64URLEncoded: text) == nil, "\(text)")
        }
    }
}
