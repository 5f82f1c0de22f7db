import ApusCore

/// A content type as a client defines it (`POST /v1/content/types`) or changes it (`PATCH`,
/// every member optional; the api id and default locale never change).
struct TypeDefinition: Decodable, Sendable {
    var name: String?
    var apiId: String?
    var isPublic: Bool?
    var urlPattern: String?
    var defaultLocale: String?
    var locales: [String]?
    var fields: [FieldDefinition]?

    enum CodingKeys: String, CodingKey {
        case name, apiId, isPublic = "public", urlPattern, defaultLocale, locales, fields
    }
}

/// The rules a content type keeps, checked in one pass so a client learns every mistake at once.
enum TypeRules {
    static let maximumFields = 100
    static let maximumLocales = 50

    static func isValidAPIID(_ id: String) -> Bool {
        // Bytes, not characters: every allowed character is ASCII, and this runs on each delivery read.
        guard let first = id.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), id.utf8.count <= 64 else { return false }
        return id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"): true
            default: false
            }
        }
    }

    /// A BCP 47 tag of the simple kind sites use: `en`, `pt-BR`, `zh-Hant`.
    static func isValidLocale(_ tag: String) -> Bool {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard let language = parts.first, (2...3).contains(language.count), language.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) }),
              parts.count <= 4 else { return false }
        return parts.dropFirst().allSatisfy { part in
            (2...8).contains(part.count) && part.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || ("a"..."z").contains($0) || ("A"..."Z").contains($0) }
        }
    }

    /// Every mistake in `type` as a whole.
    static func errors(in type: ContentType) -> [Problem.FieldError] {
        var errors: [Problem.FieldError] = []
        func fail(_ field: String, _ message: String) { errors.append(.init(field: field, message: message)) }
        if type.name.isEmpty || type.name.count > 200 || type.name.contains("\0") { fail("name", "must be 1 to 200 characters") }
        if !isValidAPIID(type.apiId) {
            fail("api_id", "must be lower-case letters, digits, '-' or '_', starting with a letter, at most 64")
        } else if ContentType.reservedAPIIDs.contains(type.apiId) {
            fail("api_id", "is reserved by the content API")
        }
        if type.locales.isEmpty || type.locales.count > maximumLocales { fail("locales", "must name 1 to \(maximumLocales) locales") }
        for (index, locale) in type.locales.enumerated() where !isValidLocale(locale) {
            fail("locales[\(index)]", "is not a locale tag such as en or pt-BR")
        }
        if Set(type.locales).count != type.locales.count { fail("locales", "names a locale twice") }
        if !type.locales.contains(type.defaultLocale) { fail("default_locale", "must be one of the type's locales") }
        if let pattern = type.urlPattern { errors += urlPatternErrors(pattern, hasSlug: type.slugField != nil) }
        if type.fields.count > maximumFields { fail("fields", "may hold at most \(maximumFields) fields") }
        var names: Set<String> = []
        for (index, field) in type.fields.enumerated() {
            let at = "fields[\(index)]"
            if !FieldDefinition.isValidName(field.name) {
                fail("\(at).name", "must be lower-case letters, digits or '_', starting with a letter, at most 64")
            } else if FieldDefinition.reservedNames.contains(field.name) {
                fail("\(at).name", "is a name entries use themselves (\(FieldDefinition.reservedNames.sorted().joined(separator: ", ")))")
            } else if !names.insert(field.name).inserted {
                fail("\(at).name", "is taken by another field")
            }
            errors += fieldErrors(field, at: at, in: type)
        }
        if type.fields.filter({ $0.kind == .slug }).count > 1 { fail("fields", "may hold one slug field: it names the entry's URL") }
        return errors
    }

    private static func fieldErrors(_ field: FieldDefinition, at: String, in type: ContentType) -> [Problem.FieldError] {
        var errors: [Problem.FieldError] = []
        func fail(_ member: String, _ message: String) { errors.append(.init(field: "\(at).\(member)", message: message)) }
        if let maxLength = field.maxLength {
            if ![.text, .richText].contains(field.kind) { fail("max_length", "applies to text and rich text only") }
            if !(1...1_000_000).contains(maxLength) { fail("max_length", "must be 1 to 1000000") }
        }
        if field.kind == .enum {
            let values = field.values ?? []
            if values.isEmpty || values.count > 200 { fail("values", "must list 1 to 200 values") }
            if values.contains(where: { $0.isEmpty || $0.count > 200 || $0.contains("\0") }) { fail("values", "must be 1 to 200 characters each") }
            if Set(values).count != values.count { fail("values", "lists a value twice") }
        } else if field.values != nil {
            fail("values", "applies to enum fields only")
        }
        if field.kind == .slug {
            if let from = field.from {
                if type.field(from)?.kind != .text { fail("from", "must name a text field of this type") }
            }
            if field.localised, let from = field.from, type.field(from)?.localised == false {
                fail("localised", "a localised slug needs a localised field to be made from")
            }
        } else if field.from != nil {
            fail("from", "applies to slug fields only")
        }
        if field.kind == .reference {
            if let target = field.to, !isValidAPIID(target) { fail("to", "must be a content type's api id") }
        } else if field.to != nil {
            fail("to", "applies to reference fields only")
        }
        if field.unique, [.richText, .boolean, .json].contains(field.kind) { fail("unique", "does not apply to \(field.kind.rawValue) fields") }
        if field.indexed, !field.isScalar || field.localised {
            fail("indexed", "applies to fields with one value for every locale of kind text, number, boolean, date_time, enum, slug, reference or media")
        }
        return errors
    }

    /// A site path with `{slug}`, `{id}` or `{locale}` in it.
    private static func urlPatternErrors(_ pattern: String, hasSlug: Bool) -> [Problem.FieldError] {
        func fail(_ message: String) -> [Problem.FieldError] { [.init(field: "url_pattern", message: message)] }
        guard pattern.first == "/", pattern.count <= 500, !pattern.contains("\0"), !pattern.contains(where: \.isWhitespace) else {
            return fail("must be a path starting with '/', at most 500 characters, without spaces")
        }
        var rest = Substring(pattern)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { return fail("has a '{' that is never closed") }
            let name = rest[rest.index(after: open)..<close]
            guard ["slug", "id", "locale"].contains(name) else { return fail("may use {slug}, {id} and {locale}, not {\(name)}") }
            if name == "slug", !hasSlug { return fail("uses {slug} but the type has no slug field") }
            rest = rest[rest.index(after: close)...]
        }
        if rest.contains("}") { return fail("has a '}' that was never opened") }
        return []
    }
}
