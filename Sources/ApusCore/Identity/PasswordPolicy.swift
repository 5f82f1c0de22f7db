import Foundation

/// What a password must be: 8 to 128 characters and not the account's email.
public enum PasswordPolicy {
    /// The problem with `password`, or `nil` when it is acceptable.
    public static func violation(_ password: String, email: String) -> String? {
        // Counted in code points, as JSON Schema's minLength and maxLength count.
        let length = password.unicodeScalars.count
        if length < 8 { return "must be at least 8 characters" }
        if length > 128 { return "must be at most 128 characters" }
        if password.lowercased() == email.lowercased() { return "must not be the email address" }
        return nil
    }
}

/// Email addresses as the API accepts them: trimmed, lowercased, one `@` with text on both sides.
public enum EmailAddress {
    /// The normal form of `text`, or `nil` if it is not an address.
    ///
    /// One address has one spelling: compatibility-normalised (NFKC, so NFD accents and
    /// fullwidth letters become what they look like) and lower-cased; characters a person cannot
    /// see (format characters such as zero-width spaces, controls, separators) are refused.
    public static func normalize(_ text: String) -> String? {
        let email = text.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCompatibilityMapping.lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              email.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !isInvisible($0) })
        else { return nil }
        return email
    }

    private static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .format, .control, .spaceSeparator, .lineSeparator, .paragraphSeparator, .unassigned, .privateUse, .surrogate: true
        default: scalar.properties.isDefaultIgnorableCodePoint
        }
    }
}
