import Testing
@testable import Uploads

@Suite struct ByteRangeRequestTests {
    @Test func oneRangeIsServedAsAskedAndClampedToTheFile() {
        #expect(ByteRangeRequest(header: "bytes=0-9", size: 100) == .part(0..<10))
        #expect(ByteRangeRequest(header: "bytes=90-200", size: 100) == .part(90..<100))
        #expect(ByteRangeRequest(header: "bytes=95-", size: 100) == .part(95..<100))
        #expect(ByteRangeRequest(header: "bytes=-10", size: 100) == .part(90..<100))
        #expect(ByteRangeRequest(header: "bytes=-1000", size: 100) == .part(0..<100))
        #expect(ByteRangeRequest(header: "Bytes= 5 - 5 ", size: 100) == .part(5..<6))
        #expect(ByteRangeRequest(header: "bytes=0-99999999999999999999999", size: 100) == .part(0..<100))
    }

    @Test func aRangeOutsideTheFileIsUnsatisfiable() {
        #expect(ByteRangeRequest(header: "bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRangeRequest(header: "bytes=100-200", size: 100) == .unsatisfiable)
        #expect(ByteRangeRequest(header: "bytes=-0", size: 100) == .unsatisfiable)
        #expect(ByteRangeRequest(header: "bytes=0-", size: 0) == .unsatisfiable)
        #expect(ByteRangeRequest(header: "bytes=-5", size: 0) == .unsatisfiable)
    }

    @Test func noValidSingleRangeMeansTheWholeFile() {
        #expect(ByteRangeRequest(header: nil, size: 100) == .whole)
        #expect(ByteRangeRequest(header: "bytes=0-1,5-6", size: 100) == .whole, "several ranges get the whole file")
        #expect(ByteRangeRequest(header: "bytes=9-3", size: 100) == .whole)
        #expect(ByteRangeRequest(header: "items=0-3", size: 100) == .whole)
        #expect(ByteRangeRequest(header: "bytes=-", size: 100) == .whole)
        #expect(ByteRangeRequest(header: "bytes=a-b", size: 100) == .whole)
        #expect(ByteRangeRequest(header: "bytes=+1-2", size: 100) == .whole)
        #expect(ByteRangeRequest(header: "bytes=", size: 100) == .whole)
    }
}
