@testable import Notifications
import Testing

@Suite struct SMTPReplyTests {
    @Test func aReplyLineHasACodeASeparatorAndText() {
        #expect(parts("250 2.0.0 Ok: queued as 12345") == Parts(code: 250, isLast: true, text: "2.0.0 Ok: queued as 12345"))
        #expect(parts("250-PIPELINING") == Parts(code: 250, isLast: false, text: "PIPELINING"))
    }

    @Test func aBareCodeOrAnEmptyTextIsStillAReplyLine() {
        #expect(parts("354") == Parts(code: 354, isLast: true, text: ""))
        #expect(parts("250 ") == Parts(code: 250, isLast: true, text: ""))
        #expect(parts("250-") == Parts(code: 250, isLast: false, text: ""))
    }

    @Test func theTextIsKeptAsSentIncludingNonASCII() {
        #expect(SMTPReplyLine("550 5.1.1 <zoë@example.com>: unknown ")?.text == "5.1.1 <zoë@example.com>: unknown ")
        #expect(SMTPReplyLine("220  two spaces")?.text == " two spaces")
    }

    @Test(arguments: [
        "", "25", "2500 four digits", "250x", "250_text", "150 too low", "650 too high", "25a ok", "abc def",
        " 250 leading space", "２５０ full-width digits",
    ])
    func linesThatAreNotReplyLinesAreRefused(_ line: String) {
        #expect(SMTPReplyLine(line) == nil)
    }

    private struct Parts: Equatable {
        var code: Int
        var isLast: Bool
        var text: String
    }

    private func parts(_ line: String) -> Parts? {
        SMTPReplyLine(line).map { Parts(code: $0.code, isLast: $0.isLast, text: $0.text) }
    }

    @Test func theClassOfAReplyFollowsItsFirstDigit() {
        let ok = SMTPReply(code: 250, lines: ["Ok"])
        #expect(ok.isPositiveCompletion && !ok.isPositiveIntermediate && !ok.isTransientFailure && !ok.isPermanentFailure)
        #expect(SMTPReply(code: 354, lines: ["go ahead"]).isPositiveIntermediate)
        #expect(SMTPReply(code: 421, lines: ["closing"]).isTransientFailure)
        #expect(SMTPReply(code: 554, lines: ["no"]).isPermanentFailure)
    }

    @Test func theLinesOfAMultiLineReplyJoinWithSpaces() {
        let reply = SMTPReply(code: 550, lines: ["5.7.1 Message rejected", "see https://example.com/why"])
        #expect(reply.text == "5.7.1 Message rejected see https://example.com/why")
        #expect(reply.description == "550 5.7.1 Message rejected see https://example.com/why")
    }

    @Test func anEnhancedStatusCodeIsReadFromTheFirstLine() {
        #expect(SMTPReply(code: 550, lines: ["5.1.1 No such user"]).enhancedStatus == "5.1.1")
        #expect(SMTPReply(code: 250, lines: ["2.0.0"]).enhancedStatus == "2.0.0")
        #expect(SMTPReply(code: 452, lines: ["4.2.2 Mailbox full", "5.0.0 not this one"]).enhancedStatus == "4.2.2")
        #expect(SMTPReply(code: 550, lines: ["5.123.456 long parts"]).enhancedStatus == "5.123.456")
    }

    @Test(arguments: [
        "Ok", "1.2.3 class 1 does not exist", "3.0.0 nor class 3", "5.1 two parts", "5.1.1.1 four parts",
        "5..1 empty part", "5.1.1234 too long", "5.a.1 letters", "5.١.1 Arabic-Indic digit", "",
    ])
    func textThatIsNotAnEnhancedStatusCodeGivesNone(_ line: String) {
        #expect(SMTPReply(code: 550, lines: [line]).enhancedStatus == nil)
    }

    @Test func aReplyWithoutLinesHasNoEnhancedStatus() {
        #expect(SMTPReply(code: 250, lines: []).enhancedStatus == nil)
    }

    @Test func theExtensionsOfAnEHLOReplyAreReadFromEveryLineButTheFirst() {
        let lines = ["mail.example.com Hello", "PIPELINING", "SIZE 35882577", "starttls", "AUTH PLAIN login", "8BITMIME", "auth=CRAM-MD5"]
        let capabilities = SMTPCapabilities(ehloReply: SMTPReply(code: 250, lines: lines))
        #expect(capabilities.supportsStartTLS)
        #expect(capabilities.extensions["SIZE"] == ["35882577"])
        #expect(capabilities.extensions["PIPELINING"] == [])
        #expect(capabilities.extensions["MAIL.EXAMPLE.COM"] == nil)
        // The pre-standard AUTH= line adds to the standard one.
        #expect(capabilities.authenticationMechanisms == ["PLAIN", "LOGIN", "CRAM-MD5"])
    }

    @Test func aOneLineEHLOReplyOrAHELOOffersNothing() {
        let capabilities = SMTPCapabilities(ehloReply: SMTPReply(code: 250, lines: ["mail.example.com"]))
        #expect(capabilities.extensions.isEmpty && !capabilities.supportsStartTLS && capabilities.authenticationMechanisms.isEmpty)
        #expect(SMTPCapabilities() == capabilities)
    }
}
