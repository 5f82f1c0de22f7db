import ApusCore
import Foundation
import Testing
@testable import Uploads

@Suite struct TusHeaderTests {
    @Test func metadataPairsAreCheckedAndDecoded() throws {
        let metadata = try #require(UploadMetadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential"))
        #expect(metadata.values["filename"] == "world_domination_plan.pdf")
        #expect(metadata.values["is_confidential"] == "")
        #expect(UploadMetadata("a YQ==,a Yg==") == nil)
        #expect(UploadMetadata("a not*base64") == nil)
        #expect(UploadMetadata("a b c") == nil)
        #expect(UploadMetadata(",") == nil)
    }

    @Test func checksumsNameAnAlgorithmAndABase64Digest() throws {
        let checksum = try UploadChecksum("sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=")
        #expect(checksum.algorithm == .sha1)
        #expect(checksum.digest.count == 20)
        #expect(throws: UploadChecksum.ParseError.unsupportedAlgorithm) { try UploadChecksum("crc32 AAAA") }
        #expect(throws: UploadChecksum.ParseError.malformed) { try UploadChecksum("sha1") }
        #expect(throws: UploadChecksum.ParseError.malformed) { try UploadChecksum("sha1 !!!") }
    }

    @Test func byteCountsAreDigitsOnly() {
        #expect(Tus.byteCount("0") == 0)
        #expect(Tus.byteCount("5368709120") == 5_368_709_120)
        for bad in ["", "-1", "+1", "1.5", " 1", "99999999999999999999", "0x10"] {
            #expect(Tus.byteCount(bad) == nil, "\(bad)")
        }
    }

    @Test func expiryIsAnIMFFixdate() {
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 784_111_777)) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
