import ApusCore
import Foundation
import Testing

/// The signer against the examples AWS publishes with its documentation of Signature Version 4.
@Suite struct SigV4SignerTests {
    static func authorization(_ headers: [(String, String)]) -> String? {
        headers.first { $0.0 == "Authorization" }?.1
    }

    @Test func signsTheS3GetObjectExample() {
        // "Example: GET Object" of the S3 API reference (Authenticating requests, header signing).
        let signer = SigV4Signer(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
        let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
        let headers = signer.sign(
            method: "GET", path: "/test.txt", query: [],
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
            payloadHash: SigV4Signer.emptyPayload, date: date
        )
        #expect(Self.authorization(headers) == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(headers.contains { $0 == ("x-amz-date", "20130524T000000Z") })
    }

    @Test func signsTheIAMListUsersExample() {
        // The worked example of the AWS General Reference (IAM ListUsers, 2015-08-30).
        let signer = SigV4Signer(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "iam")
        let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
        let headers = signer.sign(
            method: "GET", path: "/", query: [("Version", "2010-05-08"), ("Action", "ListUsers")],
            headers: [("Host", "iam.amazonaws.com"), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            payloadHash: SigV4Signer.emptyPayload, date: date
        )
        #expect(Self.authorization(headers) == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    }

    @Test func encodesPathsAndQueriesTheAWSWay() {
        #expect(SigV4Signer.encode("a b/c~d*", slash: false) == "a%20b/c~d%2A")
        #expect(SigV4Signer.encode("a/b=c", slash: true) == "a%2Fb%3Dc")
    }
}
