@testable import Notifications
import ApusTesting
import Foundation
import Testing

@Suite struct DotStuffingTests {
    @Test func aLineStartingWithADotGetsASecondOne() {
        #expect(SMTPClient.dataSection("Hello\r\n.\r\nbye\r\n") == "Hello\r\n..\r\nbye\r\n.\r\n")
        #expect(SMTPClient.dataSection("a\r\n.hidden\r\n..two\r\n") == "a\r\n..hidden\r\n...two\r\n.\r\n")
    }

    @Test func aDotOnTheFirstLineIsStuffedToo() {
        #expect(SMTPClient.dataSection(".first\r\n") == "..first\r\n.\r\n")
        #expect(SMTPClient.dataSection(".") == "..\r\n.\r\n")
    }

    @Test func dotsElsewhereInALineStayAsTheyAre() {
        #expect(SMTPClient.dataSection("a.b. c.\r\n") == "a.b. c.\r\n.\r\n")
    }

    @Test func contentWithoutAFinalLineBreakGetsOneBeforeTheEnd() {
        #expect(SMTPClient.dataSection("no break") == "no break\r\n.\r\n")
        #expect(SMTPClient.dataSection("") == "\r\n.\r\n")
    }

    @Test func theServerGetsBackExactlyTheRenderedMessage() throws {
        var random = SeededGenerator(seed: 5321)
        let pieces = [".", "..", "a", " ", "\r\n", "\r\n.", "\r\n.\r\n"]
        for _ in 0..<500 {
            let content = random.text(from: pieces, maximumLength: 40) + "\r\n"
            let section = SMTPClient.dataSection(content)
            let lines = section.components(separatedBy: "\r\n").dropLast()
            // Only the last line is a lone dot, and removing one leading dot per line (RFC 5321
            // section 4.5.2) gives the content back.
            #expect(lines.last == ".")
            #expect(!lines.dropLast().contains("."), "\(content.debugDescription)")
            let received = lines.dropLast().map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }
            #expect(received.joined(separator: "\r\n") + "\r\n" == content, "\(content.debugDescription)")
        }
    }

    @Test func aRenderedMessageWithDotLinesSurvivesTheDataSection() throws {
        let message = MailMessage(
            from: "apus@example.com", to: ["ada@example.com"], subject: "Dots",
            text: "Hello,\n.\n..\n.end", html: "<p>\n.</p>", messageID: "m@example.com", date: Date(timeIntervalSince1970: 1_800_000_000)
        )
        let rendered = try message.rendered(boundary: "b")
        let section = SMTPClient.dataSection(rendered)
        #expect(section.contains("\r\n..\r\n...\r\n..end\r\n"))
        #expect(section.hasSuffix("\r\n.\r\n"))
        #expect(section.components(separatedBy: "\r\n").filter { $0 == "." }.count == 1)
    }
}
