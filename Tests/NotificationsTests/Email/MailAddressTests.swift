@testable import Notifications
import Testing

@Suite struct MailAddressTests {
    /// A parsed address with the given parts, to compare parses with.
    private func mailbox(_ displayName: String?, _ address: String) -> MailAddress {
        var mailbox = try! MailAddress(parsing: address, field: "To")
        mailbox.displayName = displayName
        return mailbox
    }

    @Test func aBareAddressHasNoDisplayName() throws {
        let address = try MailAddress(parsing: "  ada@example.com ", field: "To")
        #expect(address == mailbox(nil, "ada@example.com"))
        #expect(address.headerValue == "ada@example.com")
    }

    @Test func aNameBeforeAngleBracketsIsTheDisplayName() throws {
        #expect(try MailAddress(parsing: "Ada Lovelace <ada@example.com>", field: "To")
            == mailbox("Ada Lovelace", "ada@example.com"))
        #expect(try MailAddress(parsing: "Ada<ada@example.com>", field: "To").displayName == "Ada")
        #expect(try MailAddress(parsing: "<ada@example.com>", field: "To") == mailbox(nil, "ada@example.com"))
    }

    @Test func aQuotedDisplayNameIsUnquoted() throws {
        #expect(try MailAddress(parsing: "\"Lovelace, Ada\" <ada@example.com>", field: "From").displayName == "Lovelace, Ada")
        #expect(try MailAddress(parsing: "\"Ada \\\"AL\\\" L\" <ada@example.com>", field: "From").displayName == "Ada \"AL\" L")
        #expect(try MailAddress(parsing: "\"a <b@c.d>\" <ada@example.com>", field: "From")
            == mailbox("a <b@c.d>", "ada@example.com"))
    }

    @Test(arguments: ["Ada Lovelace", "Lovelace, Ada", "Ada \"AL\" L.", "back\\slash", "\\\"", "a\\\\\"b", "<>@,;:", "'"])
    func anASCIIDisplayNameSurvivesTheHeaderAndBack(_ name: String) throws {
        let header = mailbox(name, "ada@example.com").headerValue
        #expect(try MailAddress(parsing: header, field: "From") == mailbox(name, "ada@example.com"))
    }

    @Test func aNonASCIIDisplayNameIsEncodedInTheHeader() {
        #expect(mailbox("Zoë", "zoe@example.com").headerValue == "=?UTF-8?B?Wm/Dqw==?= <zoe@example.com>")
    }

    @Test(arguments: [
        "ada", "@example.com", "ada@", "", "<>", "ada lovelace@example.com", "ada@exa mple.com", "Ada <ada@example.com",
        "ad<a@example.com", "ada@example.com>", "ad(a)@example.com", "a,b@example.com", "a;b@example.com", "a\\b@example.com",
        "zoë@example.com", "ada@[192.0.2.1]", "ada\t@example.com",
    ])
    func addressesThatCannotGoOnTheEnvelopeAreRefused(_ text: String) {
        #expect(throws: MailMessageError.self) { try MailAddress(parsing: text, field: "To") }
    }

    @Test func theErrorNamesTheFieldAndTheAddress() {
        #expect(throws: MailMessageError.invalidAddress(field: "To", address: "nobody")) {
            try MailAddress(parsing: "Someone <nobody>", field: "To")
        }
        #expect(MailMessageError.invalidAddress(field: "To", address: "nobody").description
            == "the To address \"nobody\" is not a plain ASCII local@domain address")
    }

    @Test(arguments: ["ada@example.com\r\nBcc: eve@example.com", "Ada\n <ada@example.com>", "ada@example.com\0"])
    func lineBreaksAndNULsAreRefusedAsHeaderInjection(_ text: String) {
        #expect(throws: MailMessageError.lineBreakInHeader(field: "From")) { try MailAddress(parsing: text, field: "From") }
    }

    @Test func addressesWithPlusDotsAndSubdomainsAreAccepted() throws {
        #expect(try MailAddress(parsing: "first.last+tag@mail.sub.example.co.uk", field: "To").address == "first.last+tag@mail.sub.example.co.uk")
        // The last @ separates the domain; the envelope takes the address as it is.
        #expect(try MailAddress(parsing: "\"odd\"@example.com", field: "To").address == "\"odd\"@example.com")
    }
}
