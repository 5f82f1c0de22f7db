/// Whose precomputed list: a user's recommendations, an item's similar items, or the
/// popularity list. Stored as `u:<user>`, `i:<item>` or `popular`.
enum ListSubject: Hashable, Sendable, CustomStringConvertible {
    case user(String)
    case item(String)
    case popular

    /// The form the list is stored under.
    var description: String {
        switch self {
        case .user(let user): "u:\(user)"
        case .item(let item): "i:\(item)"
        case .popular: "popular"
        }
    }

    init?(_ stored: Substring) {
        if stored == "popular" {
            self = .popular
        } else if stored.hasPrefix("u:") {
            self = .user(String(stored.dropFirst(2)))
        } else if stored.hasPrefix("i:") {
            self = .item(String(stored.dropFirst(2)))
        } else {
            return nil
        }
    }
}

/// The key of a stored list in the node's cache: its model and its subject. Invalidations carry
/// it as `<model>|<subject>`. A struct, so a request looks a list up without joining the two
/// into a new string (model ids are too long to be stored inline).
struct ListKey: Hashable, Sendable, LosslessStringConvertible {
    let model: String
    let subject: ListSubject

    init(model: String, subject: ListSubject) {
        self.model = model
        self.subject = subject
    }

    var description: String { "\(model)|\(subject)" }

    init?(_ description: String) {
        // Model ids hold no `|`; a subject's id may.
        guard let bar = description.firstIndex(of: "|"), let subject = ListSubject(description[description.index(after: bar)...]) else { return nil }
        self.init(model: String(description[..<bar]), subject: subject)
    }
}
