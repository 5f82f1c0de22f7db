import Foundation

/// An email notification: a plain-text body and optionally an HTML alternative, ready to be
/// rendered as an RFC 5322 message for SMTP.
struct MailMessage: Sendable {
    /// One additional header, such as `Reply-To` or `List-Unsubscribe`.
    struct Header: Sendable, Equatable {
        /// The field name, such as `Reply-To`.
        var name: String
        /// The field value; printable ASCII, never a line break.
        var value: String

        /// Creates a header.
        init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The sender, `address` or `Name <address>`.
    var from: String
    /// The recipients, each `address` or `Name <address>`.
    var to: [String]
    /// The subject, any text on one line.
    var subject: String
    /// The plain-text body.
    var text: String
    /// An HTML version of the body, sent as a `multipart/alternative` beside the text.
    var html: String?
    /// The unique id of the message, without the angle brackets (`id@domain`).
    var messageID: String
    /// When the message was written.
    var date: Date
    /// Further headers, rendered after the standard ones.
    var extraHeaders: [Header]

    /// Creates a message; without a `messageID` one is made from a random UUID and the
    /// sender's domain.
    init(
        from: String,
        to: [String],
        subject: String,
        text: String,
        html: String? = nil,
        messageID: String? = nil,
        date: Date,
        extraHeaders: [Header] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID ?? Self.makeMessageID(from: from)
        self.date = date
        self.extraHeaders = extraHeaders
    }

    /// Headers Apus writes itself, which `extraHeaders` may not repeat.
    static let generatedHeaders: Set<String> = [
        "date", "from", "to", "subject", "message-id", "mime-version", "content-type", "content-transfer-encoding",
    ]

    /// Checks that the message can be rendered without any field breaking out of its header
    /// line, and that its addresses can be put on the SMTP envelope.
    func validate() throws(MailMessageError) {
        _ = try envelope()
        if subject.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw .lineBreakInHeader(field: "Subject")
        }
        let id = Self.bareMessageID(messageID)
        guard id.contains("@"),
              id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "<" && $0 != ">" })
        else { throw .invalidMessageID(messageID) }
        for header in extraHeaders {
            // Field names are printable ASCII without colon (RFC 5322 section 2.2).
            guard !header.name.isEmpty,
                  header.name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != ":" })
            else { throw .invalidHeaderName(header.name) }
            guard !Self.generatedHeaders.contains(header.name.lowercased()) else {
                throw .reservedHeader(header.name)
            }
            if header.value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
                throw .lineBreakInHeader(field: header.name)
            }
            guard header.value.unicodeScalars.allSatisfy({ $0 == "\t" || ($0.value >= 0x20 && $0.value < 0x7F) }) else {
                throw .invalidHeaderValue(field: header.name)
            }
        }
    }

    /// The envelope sender and recipients: the bare addresses of `from` and `to`.
    func envelope() throws(MailMessageError) -> (sender: String, recipients: [String]) {
        let sender = try MailAddress(parsing: from, field: "From")
        guard !to.isEmpty else { throw .noRecipients }
        var recipients: [String] = []
        for recipient in to {
            recipients.append(try MailAddress(parsing: recipient, field: "To").address)
        }
        return (sender.address, recipients)
    }

    /// The message as RFC 5322 text with CRLF line breaks, ending in CRLF, all 7-bit ASCII.
    func rendered() throws(MailMessageError) -> String {
        try rendered(boundary: Self.makeBoundary())
    }

    /// The message rendered with a given multipart boundary.
    func rendered(boundary: String) throws(MailMessageError) -> String {
        try validate()
        var output = MIMEEncoding.headerField("Date", Self.formatDate(date))
        output += MIMEEncoding.headerField("From", try MailAddress(parsing: from, field: "From").headerValue)
        var recipients: [String] = []
        for recipient in to {
            recipients.append(try MailAddress(parsing: recipient, field: "To").headerValue)
        }
        output += MIMEEncoding.headerField("To", recipients.joined(separator: ", "))
        output += MIMEEncoding.headerField("Subject", MIMEEncoding.unstructured(subject))
        output += MIMEEncoding.headerField("Message-ID", "<\(Self.bareMessageID(messageID))>")
        output += MIMEEncoding.headerField("MIME-Version", "1.0")
        for header in extraHeaders {
            output += MIMEEncoding.headerField(header.name, header.value)
        }

        guard let html else {
            // The message must end in CRLF; a body that already does needs no other.
            let part = Self.textPart(subtype: "plain", body: text)
            return output + part + (part.hasSuffix("\r\n") ? "" : "\r\n")
        }
        output += MIMEEncoding.headerField("Content-Type", "multipart/alternative; boundary=\"\(boundary)\"")
        output += "\r\n"
        // The CRLF before each boundary line belongs to the boundary (RFC 2046 section 5.1.1),
        // so it is added after every part and the part keeps its own line breaks.
        output += "--\(boundary)\r\n" + Self.textPart(subtype: "plain", body: text) + "\r\n"
        output += "--\(boundary)\r\n" + Self.textPart(subtype: "html", body: html) + "\r\n"
        output += "--\(boundary)--\r\n"
        return output
    }

    /// A `text/…` entity: its content headers, a blank line and the quoted-printable body.
    private static func textPart(subtype: String, body: String) -> String {
        MIMEEncoding.headerField("Content-Type", "text/\(subtype); charset=utf-8")
            + MIMEEncoding.headerField("Content-Transfer-Encoding", "quoted-printable")
            + "\r\n" + MIMEEncoding.quotedPrintable(body)
    }

    /// A date as RFC 5322 writes it, such as `Tue, 02 Jan 2024 15:04:05 +0000`.
    static func formatDate(_ date: Date) -> String {
        // A formatter per call: DateFormatter is not Sendable, and a message is rendered once.
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    /// `id` without surrounding angle brackets, which callers may or may not include.
    private static func bareMessageID(_ id: String) -> String {
        id.hasPrefix("<") && id.hasSuffix(">") && id.count >= 2 ? String(id.dropFirst().dropLast()) : id
    }

    private static func makeMessageID(from sender: String) -> String {
        let domain = (try? MailAddress(parsing: sender, field: "From"))
            .flatMap { $0.address.split(separator: "@").last.map(String.init) } ?? "apus.invalid"
        return "\(UUID().uuidString.lowercased())@\(domain)"
    }

    /// A boundary that no quoted-printable body can contain by chance: 128 random bits, and a
    /// `=_` that quoted-printable never writes literally.
    private static func makeBoundary() -> String {
        let random = (0..<2).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined(separator: "_")
        return "=_apus_\(random)"
    }
}

/// Why a `MailMessage` cannot be sent.
enum MailMessageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A header field holds CR or LF, which would let it inject further headers.
    case lineBreakInHeader(field: String)
    /// An address is not a plain ASCII `local@domain`.
    case invalidAddress(field: String, address: String)
    /// The message has no recipient.
    case noRecipients
    /// The Message-ID is not `id@domain` in printable ASCII.
    case invalidMessageID(String)
    /// An extra header's name is empty or not printable ASCII without colon.
    case invalidHeaderName(String)
    /// An extra header's value is not printable ASCII.
    case invalidHeaderValue(field: String)
    /// An extra header repeats one Apus writes itself.
    case reservedHeader(String)

    /// Explains the problem.
    var description: String {
        switch self {
        case .lineBreakInHeader(let field):
            "the \(field) header contains a line break, which could inject headers"
        case .invalidAddress(let field, let address):
            "the \(field) address \"\(address)\" is not a plain ASCII local@domain address"
        case .noRecipients:
            "the message has no recipient"
        case .invalidMessageID(let id):
            "the Message-ID \"\(id)\" is not id@domain in printable ASCII"
        case .invalidHeaderName(let name):
            "the header name \"\(name)\" is not printable ASCII without colon"
        case .invalidHeaderValue(let field):
            "the \(field) header must be printable ASCII"
        case .reservedHeader(let name):
            "the \(name) header is written by Apus and cannot be set as an extra header"
        }
    }
}
