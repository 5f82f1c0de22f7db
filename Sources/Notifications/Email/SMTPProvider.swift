import Foundation

/// One SMTP server that Apus may hand mail to, as configured in `APUS_SMTP_URLS`.
///
/// `smtp://` starts in plain text and upgrades with STARTTLS when the server offers it;
/// `smtps://` speaks TLS from the first byte (implicit TLS).
struct SMTPProvider: Sendable, Equatable {
    /// Host name or IP address of the server.
    var host: String
    /// TCP port of the server.
    var port: Int
    /// User name for SMTP AUTH, or `nil` to send without authenticating.
    var username: String?
    /// Password for SMTP AUTH; only used with a `username`.
    var password: String?
    /// Whether the connection is TLS from the start (`smtps://`) rather than upgraded with STARTTLS.
    var implicitTLS: Bool

    /// Creates a provider; the port defaults to 465 with implicit TLS and to 25 without.
    init(host: String, port: Int? = nil, username: String? = nil, password: String? = nil, implicitTLS: Bool = false) {
        self.host = host
        self.port = port ?? (implicitTLS ? 465 : 25)
        self.username = username
        self.password = password
        self.implicitTLS = implicitTLS
    }

    /// Parses `APUS_SMTP_URLS`: comma-separated `smtp://user:pass@host:port` or `smtps://…` entries,
    /// tried in the order given.
    ///
    /// User and password are percent-decoded, so a password holding `@`, `:`, `/` or `,` must
    /// write them as `%40`, `%3A`, `%2F` and `%2C`. Blank entries are skipped; an empty text
    /// means no provider.
    static func parseList(_ text: String) throws(SMTPConfigurationError) -> [SMTPProvider] {
        var providers: [SMTPProvider] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = entry.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            providers.append(try parse(trimmed))
        }
        return providers
    }

    /// Parses one `smtp://` or `smtps://` URL.
    static func parse(_ entry: String) throws(SMTPConfigurationError) -> SMTPProvider {
        func fail(_ reason: String) -> SMTPConfigurationError {
            SMTPConfigurationError(entry: SMTPConfigurationError.redacted(entry), reason: reason)
        }

        guard let schemeEnd = entry.range(of: "://") else {
            throw fail("is not a URL; expected smtp://user:password@host:port or smtps://…")
        }
        let implicitTLS: Bool
        switch entry[..<schemeEnd.lowerBound].lowercased() {
        case "smtp": implicitTLS = false
        case "smtps": implicitTLS = true
        case let scheme: throw fail("has scheme \"\(scheme)\"; only smtp and smtps are supported")
        }

        var authority = entry[schemeEnd.upperBound...]
        // A lone trailing slash is harmless; anything after it is not something we understand.
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        if authority.contains(where: { "/?#".contains($0) }) {
            throw fail("has a path, query or fragment; only user:password@host:port is understood")
        }

        var username: String?
        var password: String?
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            let user: Substring
            if let colon = userInfo.firstIndex(of: ":") {
                user = userInfo[..<colon]
                guard let decoded = String(userInfo[userInfo.index(after: colon)...]).removingPercentEncoding else {
                    throw fail("has a password with invalid percent-encoding")
                }
                password = decoded
            } else {
                user = userInfo
            }
            guard let decodedUser = String(user).removingPercentEncoding, !decodedUser.isEmpty else {
                throw fail("has an empty or badly percent-encoded user name")
            }
            username = decodedUser
        }

        let (host, portText) = try splitHostPort(hostPort, fail: fail)
        var port: Int?
        if let portText {
            guard let value = Int(portText), (1...65_535).contains(value) else {
                throw fail("has port \"\(portText)\"; expected a number from 1 to 65535")
            }
            port = value
        }
        return SMTPProvider(host: host, port: port, username: username, password: password, implicitTLS: implicitTLS)
    }

    /// Splits `host`, `host:port`, `[v6]` or `[v6]:port`.
    private static func splitHostPort(
        _ text: Substring,
        fail: (String) -> SMTPConfigurationError
    ) throws(SMTPConfigurationError) -> (host: String, port: Substring?) {
        let host: Substring
        var rest: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail("has an unclosed [ in its IPv6 host") }
            host = text[text.index(after: text.startIndex)..<close]
            rest = text[text.index(after: close)...]
        } else if let colon = text.firstIndex(of: ":") {
            host = text[..<colon]
            rest = text[colon...]
        } else {
            host = text
            rest = ""
        }
        guard !host.isEmpty else { throw fail("has no host") }
        guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._:".contains($0)) }) else {
            throw fail("has host \"\(host)\" with characters a host name cannot hold")
        }
        if rest.isEmpty { return (String(host), nil) }
        guard rest.hasPrefix(":") else { throw fail("has unexpected text \"\(rest)\" after its host") }
        rest = rest.dropFirst()
        return (String(host), rest)
    }
}

extension SMTPProvider: CustomStringConvertible, CustomDebugStringConvertible {
    /// The provider as a URL with the password hidden, safe for logs.
    var description: String {
        var text = implicitTLS ? "smtps://" : "smtp://"
        if let username {
            text += username.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? username
            if password != nil { text += ":***" }
            text += "@"
        }
        text += host.contains(":") ? "[\(host)]" : host
        return text + ":\(port)"
    }

    /// Same as `description`, so that debug output never shows the password either.
    var debugDescription: String { description }
}

/// Why `APUS_SMTP_URLS` could not be understood.
struct SMTPConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The offending entry, with any password replaced by `***`.
    var entry: String
    /// What is wrong with it.
    var reason: String

    /// Explains the problem, naming the entry but never its password.
    var description: String { "APUS_SMTP_URLS entry \"\(entry)\" \(reason)" }

    /// `entry` with the password of its user info, if any, replaced by `***`.
    static func redacted(_ entry: String) -> String {
        guard let schemeEnd = entry.range(of: "://"),
              let at = entry[schemeEnd.upperBound...].lastIndex(of: "@"),
              let colon = entry[schemeEnd.upperBound..<at].firstIndex(of: ":")
        else { return entry }
        return entry[..<entry.index(after: colon)] + "***" + entry[at...]
    }
}
