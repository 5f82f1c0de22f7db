/// The key of a published entry in the node's delivered cache: the entry, the locale it is
/// read in, and its type's version (a changed type is read afresh). A struct rather than a
/// joined string, so a read hashes its parts instead of building the text.
struct DeliveredKey: Hashable, Sendable, LosslessStringConvertible {
    let entryID: String
    let locale: String
    let typeVersion: Int

    /// `entry|locale|version`, as invalidations travel on the bus.
    var description: String { "\(entryID)|\(locale)|\(typeVersion)" }
}

// Initialisers in extensions, so each struct keeps its memberwise one.
extension DeliveredKey {
    init(_ entryID: String, locale: String, type: ContentType) {
        self.init(entryID: entryID, locale: locale, typeVersion: type.version)
    }

    init?(_ description: String) {
        guard let parts = DeliveryKeyText.parts(description), let version = Int(parts.2) else { return nil }
        self.init(entryID: String(parts.0), locale: String(parts.1), typeVersion: version)
    }
}

/// The key of a published slug in the node's slug cache: the type, the locale the slug is
/// stored in, and the slug.
struct SlugKey: Hashable, Sendable, LosslessStringConvertible {
    let typeID: String
    let locale: String
    let slug: String

    /// `type|locale|slug`, as invalidations travel on the bus; the slug comes last, whatever it holds.
    var description: String { "\(typeID)|\(locale)|\(slug)" }
}

extension SlugKey {
    init?(_ description: String) {
        guard let parts = DeliveryKeyText.parts(description) else { return nil }
        self.init(typeID: String(parts.0), locale: String(parts.1), slug: String(parts.2))
    }
}

/// The text both keys travel as: three parts joined by `|`, the last holding whatever it holds.
enum DeliveryKeyText {
    static func parts(_ description: String) -> (Substring, Substring, Substring)? {
        let parts = description.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 ? (parts[0], parts[1], parts[2]) : nil
    }
}
