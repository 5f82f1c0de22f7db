import Foundation
@testable import Inventory
import Testing

@Suite struct PaymentSignatureTests {
    let signature = PaymentSignature(secret: "whsec_abc", tolerance: 300)
    let payload = Array(#"{"id":"evt_1"}"#.utf8)
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func aSignatureOverTheTimestampAndBodyIsAccepted() throws {
        let header = PaymentSignature.header(timestamp: 1_700_000_000, payload: payload, secret: "whsec_abc")
        try signature.verify(header: header, payload: payload, now: now)
        // Known answer: HMAC-SHA256("whsec_abc", "1700000000.{\"id\":\"evt_1\"}").
        #expect(header.hasPrefix("t=1700000000,v1=") && header.count == "t=1700000000,v1=".count + 64)
    }

    @Test func anyOfSeveralSignaturesMayMatchWhileASecretIsRotated() throws {
        let good = PaymentSignature.header(timestamp: 1_700_000_000, payload: payload, secret: "whsec_abc").split(separator: "=").last!
        let old = PaymentSignature.header(timestamp: 1_700_000_000, payload: payload, secret: "whsec_old").split(separator: "=").last!
        try signature.verify(header: "t=1700000000,v1=\(old),v1=\(good),v0=ignored", payload: payload, now: now)
    }

    @Test func tamperingAWrongSecretAStaleTimeOrAMalformedHeaderIsRefused() {
        let header = PaymentSignature.header(timestamp: 1_700_000_000, payload: payload, secret: "whsec_abc")
        #expect(throws: PaymentSignature.Failure.noMatch) { try signature.verify(header: header, payload: Array(#"{"id":"evt_2"}"#.utf8), now: now) }
        #expect(throws: PaymentSignature.Failure.noMatch) {
            try signature.verify(header: PaymentSignature.header(timestamp: 1_700_000_000, payload: payload, secret: "whsec_other"), payload: payload, now: now)
        }
        #expect(throws: PaymentSignature.Failure.outsideTolerance) { try signature.verify(header: header, payload: payload, now: now.addingTimeInterval(301)) }
        #expect(throws: PaymentSignature.Failure.outsideTolerance) { try signature.verify(header: header, payload: payload, now: now.addingTimeInterval(-301)) }
        for bad in [nil, "", "t=1700000000", "v1=abc", "t=x,v1=\(String(repeating: "0", count: 64))", "t=1700000000,v1=zz"] {
            #expect(throws: PaymentSignature.Failure.malformed, "\(bad ?? "nil")") { try signature.verify(header: bad, payload: payload, now: now) }
        }
    }
}
