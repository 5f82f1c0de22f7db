import Foundation

/// A mailbox as written in `From` or `To`: `alice@example.com` or `Alice <alice@example.com>`.
///
/// The address itself must be plain ASCII with no spaces, angle brackets or line breaks, so it
/// can go into an SMTP command and a header unchanged; the display name may be any text and is
/// encoded for the header when it needs to be.
struct MailAddress: Sendable, Equatable {
    /// The name shown to readers, if any.
    var displayName: String?
    /// The address used on the SMTP envelope (`MAIL FROM`, `RCPT TO`).
    var address: String

    /// Parses `address` or `Display Name <address>`; `field` names the field in errors.
    init(parsing text: String, field: String) throws(MailMessageError) {
        if text.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
            throw .lineBreakInHeader(field: field)
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = String(name.dropFirst().dropLast())
                    .replacingOccurrences(of: "\\\"", with: "\"")
                    .replacingOccurrences(of: "\\\\", with: "\\")
            }
            displayName = name.isEmpty ? nil : name
            address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        } else {
            displayName = nil
            address = trimmed
        }
        try Self.validate(address: address, field: field)
    }

    /// The mailbox as a header writes it: the address alone, or a quoted or encoded display
    /// name followed by `<address>`.
    var headerValue: String {
        guard let displayName else { return address }
        return "\(MIMEEncoding.phrase(displayName)) <\(address)>"
    }

    private static func validate(address: String, field: String) throws(MailMessageError) {
        let scalars = address.unicodeScalars
        guard let at = scalars.lastIndex(of: "@"),
              at != scalars.startIndex,
              scalars.index(after: at) != scalars.endIndex
        else { throw .invalidAddress(field: field, address: address) }
        let forbidden = "<>()[],;\\".unicodeScalars
        let allowed = scalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && !forbidden.contains($0) }
        guard allowed else { throw .invalidAddress(field: field, address: address) }
    }
}
