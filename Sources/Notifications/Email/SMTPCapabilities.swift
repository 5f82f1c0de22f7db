/// The service extensions a server announces in its EHLO reply (RFC 5321 section 4.1.1.1):
/// every line after the first is a keyword with optional parameters.
struct SMTPCapabilities: Sendable, Equatable {
    /// Parameters of each announced keyword, keyed by the keyword in upper case.
    var extensions: [String: [String]]

    /// No extensions, as after a HELO.
    init() {
        extensions = [:]
    }

    /// Reads the extensions from a positive EHLO reply.
    init(ehloReply reply: SMTPReply) {
        var extensions: [String: [String]] = [:]
        for line in reply.lines.dropFirst() {
            var words = line.split(separator: " ").map(String.init)
            guard !words.isEmpty else { continue }
            var keyword = words.removeFirst().uppercased()
            // Some servers still announce the pre-standard `AUTH=LOGIN PLAIN` form.
            if keyword.hasPrefix("AUTH=") {
                words.insert(String(keyword.dropFirst("AUTH=".count)), at: 0)
                keyword = "AUTH"
            }
            extensions[keyword, default: []] += words
        }
        self.extensions = extensions
    }

    /// Whether the server offers STARTTLS (RFC 3207).
    var supportsStartTLS: Bool { extensions["STARTTLS"] != nil }

    /// The SASL mechanisms offered for AUTH (RFC 4954), in upper case.
    var authenticationMechanisms: Set<String> {
        Set((extensions["AUTH"] ?? []).map { $0.uppercased() })
    }
}
