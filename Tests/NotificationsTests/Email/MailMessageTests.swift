import Foundation
@testable import Notifications
import Testing

@Suite struct MailMessageTests {
    private static let date = Date(timeIntervalSince1970: 1_704_207_845)  // Tue, 02 Jan 2024 15:04:05 UTC

    private func message(
        from: String = "Apus <apus@example.com>",
        to: [String] = ["ada@example.com"],
        subject: String = "Hello",
        text: String = "Hi Ada",
        html: String? = nil,
        extraHeaders: [MailMessage.Header] = []
    ) -> MailMessage {
        MailMessage(
            from: from, to: to, subject: subject, text: text, html: html,
            messageID: "<42@example.com>", date: Self.date, extraHeaders: extraHeaders
        )
    }

    @Test func aTextMessageIsHeadersABlankLineAndAQuotedPrintableBody() throws {
        let rendered = try message(text: "Hi Ada,\nsee you at 10.").rendered()
        #expect(rendered == """
            Date: Tue, 02 Jan 2024 15:04:05 +0000\r
            From: Apus <apus@example.com>\r
            To: ada@example.com\r
            Subject: Hello\r
            Message-ID: <42@example.com>\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: quoted-printable\r
            \r
            Hi Ada,\r
            see you at 10.\r

            """)
    }

    @Test func theMessageEndsInExactlyOneLineBreak() throws {
        #expect(try message(text: "ends with a break\n").rendered().hasSuffix("\r\nends with a break\r\n"))
        #expect(try message(text: "").rendered().hasSuffix("Content-Transfer-Encoding: quoted-printable\r\n\r\n"))
    }

    @Test func textAndHTMLGoInAMultipartAlternativeWithTextFirst() throws {
        let rendered = try message(text: "Hi Ada", html: "<p>Hi <b>Ada</b></p>\n").rendered(boundary: "=_b")
        let (headers, body) = try split(rendered)
        #expect(headers.contains("Content-Type: multipart/alternative; boundary=\"=_b\""))
        #expect(!headers.contains("Content-Transfer-Encoding"))
        #expect(body == """
            --=_b\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: quoted-printable\r
            \r
            Hi Ada\r
            --=_b\r
            Content-Type: text/html; charset=utf-8\r
            Content-Transfer-Encoding: quoted-printable\r
            \r
            <p>Hi <b>Ada</b></p>\r
            \r
            --=_b--\r

            """)
    }

    @Test func theRandomBoundaryAppearsOnlyAsABoundary() throws {
        let html = "<p>" + String(repeating: "=_apus_ ", count: 20) + "</p>"
        let rendered = try message(text: "=_apus_0_0 --=_apus_", html: html).rendered()
        let fields = MIMEDecoding.unfolded(rendered).components(separatedBy: "\r\n")
        let line = try #require(fields.first { $0.hasPrefix("Content-Type: multipart/alternative") })
        let boundary = try #require(line.split(separator: "\"").dropFirst().first.map(String.init))
        #expect(boundary.hasPrefix("=_apus_") && boundary.count > 10)
        let lines = rendered.components(separatedBy: "\r\n")
        #expect(lines.filter { $0.contains(boundary) }.count == 4)
        #expect(lines.filter { $0 == "--" + boundary }.count == 2)
        #expect(lines.filter { $0 == "--" + boundary + "--" }.count == 1)
        #expect(try message(html: "x").rendered() != (try message(html: "x").rendered()))
    }

    @Test func everyLineIsSevenBitASCIIAndShort() throws {
        let text = String(repeating: "Grüße aus Köln, 東京 und 🚀 — ", count: 30) + "\n.\n" + String(repeating: "x", count: 500)
        let rendered = try message(
            from: "Zoë Ångström <zoe@example.com>",
            to: ["Ada <ada@example.com>", "\"Byron, George\" <byron@example.com>"],
            subject: String(repeating: "Überraschung ", count: 12),
            text: text, html: "<p>" + text + "</p>"
        ).rendered()
        #expect(rendered.utf8.allSatisfy { $0 < 0x80 })
        #expect(rendered.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
    }

    @Test func nonASCIIHeadersAreEncodedWordsThatDecodeToTheOriginal() throws {
        let subject = "Ihre Bestellung über 42 € ist unterwegs 🚚 — vielen Dank für Ihren Einkauf bei uns!"
        let rendered = try message(from: "Zoë <zoe@example.com>", to: ["Ada <ada@example.com>", "Åsa <asa@example.com>"], subject: subject).rendered()
        let (headers, _) = try split(rendered)
        let unfolded = MIMEDecoding.unfolded(headers)
        let fields = unfolded.components(separatedBy: "\r\n")
        let subjectValue = try #require(fields.first { $0.hasPrefix("Subject: ") }).dropFirst("Subject: ".count)
        #expect(MIMEDecoding.encodedWords(String(subjectValue)) == subject)
        #expect(fields.contains("From: =?UTF-8?B?Wm/Dqw==?= <zoe@example.com>"))
        #expect(fields.contains("To: Ada <ada@example.com>, =?UTF-8?B?w4VzYQ==?= <asa@example.com>"))
    }

    @Test func aLongPlainSubjectIsFoldedNotEncoded() throws {
        let subject = (1...30).map { "part\($0)" }.joined(separator: " ")
        let (headers, _) = try split(try message(subject: subject).rendered())
        #expect(headers.contains("Subject: part1 "))
        #expect(MIMEDecoding.unfolded(headers).contains("Subject: " + subject + "\r\n"))
    }

    @Test func extraHeadersFollowTheStandardOnes() throws {
        let rendered = try message(extraHeaders: [.init(name: "List-Unsubscribe", value: "<https://example.com/u/1>")]).rendered()
        #expect(rendered.contains("MIME-Version: 1.0\r\nList-Unsubscribe: <https://example.com/u/1>\r\nContent-Type: text/plain"))
    }

    @Test func theEnvelopeHasTheBareAddresses() throws {
        let envelope = try message(to: ["Ada <ada@example.com>", "byron@example.com"]).envelope()
        #expect(envelope.sender == "apus@example.com")
        #expect(envelope.recipients == ["ada@example.com", "byron@example.com"])
    }

    @Test func headerInjectionIsRefusedBeforeAnythingIsRendered() {
        #expect(throws: MailMessageError.lineBreakInHeader(field: "Subject")) {
            try message(subject: "Hi\r\nBcc: eve@example.com").rendered()
        }
        #expect(throws: MailMessageError.lineBreakInHeader(field: "To")) {
            try message(to: ["ada@example.com\nBcc: eve@example.com"]).rendered()
        }
        #expect(throws: MailMessageError.lineBreakInHeader(field: "X-Tag")) {
            try message(extraHeaders: [.init(name: "X-Tag", value: "a\r\nBcc: eve@example.com")]).rendered()
        }
    }

    @Test func extraHeadersMustBeWellFormedAndNotOnesApusWrites() {
        #expect(throws: MailMessageError.reservedHeader("content-type")) {
            try message(extraHeaders: [.init(name: "content-type", value: "text/html")]).validate()
        }
        #expect(throws: MailMessageError.invalidHeaderName("X Tag")) {
            try message(extraHeaders: [.init(name: "X Tag", value: "v")]).validate()
        }
        #expect(throws: MailMessageError.invalidHeaderName("X:Tag")) {
            try message(extraHeaders: [.init(name: "X:Tag", value: "v")]).validate()
        }
        #expect(throws: MailMessageError.invalidHeaderName("")) {
            try message(extraHeaders: [.init(name: "", value: "v")]).validate()
        }
        #expect(throws: MailMessageError.invalidHeaderValue(field: "X-Name")) {
            try message(extraHeaders: [.init(name: "X-Name", value: "Zoë")]).validate()
        }
    }

    @Test func aMessageNeedsARecipientAndAWellFormedID() {
        #expect(throws: MailMessageError.noRecipients) { try message(to: []).rendered() }
        let noAt = MailMessage(from: "a@example.com", to: ["b@example.com"], subject: "", text: "", messageID: "no-at-sign", date: Self.date)
        #expect(throws: MailMessageError.invalidMessageID("no-at-sign")) { try noAt.rendered() }
        let spaced = MailMessage(from: "a@example.com", to: ["b@example.com"], subject: "", text: "", messageID: "a b@c", date: Self.date)
        #expect(throws: MailMessageError.invalidMessageID("a b@c")) { try spaced.validate() }
    }

    @Test func aMessageIDIsMadeFromTheSendersDomain() throws {
        let made = MailMessage(from: "Apus <apus@mail.example.org>", to: ["b@example.com"], subject: "", text: "", date: Self.date)
        #expect(made.messageID.hasSuffix("@mail.example.org"))
        #expect(try made.rendered().contains("Message-ID: <\(made.messageID)>\r\n"))
        #expect(MailMessage(from: "broken", to: [], subject: "", text: "", date: Self.date).messageID.hasSuffix("@apus.invalid"))
    }

    @Test func datesAreWrittenInUTCWithEnglishNames() {
        #expect(MailMessage.formatDate(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MailMessage.formatDate(Self.date) == "Tue, 02 Jan 2024 15:04:05 +0000")
    }

    /// The header section (without its blank line) and the body of a rendered message.
    private func split(_ rendered: String) throws -> (headers: String, body: String) {
        let range = try #require(rendered.range(of: "\r\n\r\n"))
        return (String(rendered[..<range.lowerBound]), String(rendered[range.upperBound...]))
    }
}
