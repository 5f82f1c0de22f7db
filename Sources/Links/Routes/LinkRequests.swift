import ApusCore
import Foundation
import Hummingbird

/// `POST /v1/links`.
struct CreateLink: Decodable {
    var url: String
    var alias: String?
    var expiresAt: Date?
    var maxVisits: Int?
    var tags: [String]?
    var redirect: Int?
}

/// `PATCH /v1/links/{code}`: absent fields stay as they are.
struct PatchLink: Decodable {
    var url: String?
    var expiresAt: Date?
    var maxVisits: Int?
    var tags: [String]?
    var redirect: Int?
}

extension Link: ResponseEncodable {}

/// Checks of the fields both creating and changing share.
enum LinkFields {
    /// Throws a 422 naming every bad field; returns `url` in the form it is kept (`TargetURL`).
    static func validate(url: String?, redirect: Int?, maxVisits: Int?, expiresAt: Date?, tags: [String]?, policy: TargetURLPolicy, now: Date) throws -> String? {
        var errors: [Problem.FieldError] = []
        var kept: String?
        if let url {
            switch policy.accept(url) {
            case .success(let form): kept = form
            case .failure(let refusal): errors.append(.init(field: "url", message: refusal.reason))
            }
        }
        if let redirect, redirect != 301, redirect != 302 { errors.append(.init(field: "redirect", message: "must be 301 or 302")) }
        if let maxVisits, maxVisits < 1 { errors.append(.init(field: "max_visits", message: "must be at least 1")) }
        if let expiresAt, expiresAt <= now { errors.append(.init(field: "expires_at", message: "must be in the future")) }
        if let tags {
            if tags.count > 20 { errors.append(.init(field: "tags", message: "at most 20 tags")) }
            if !tags.allSatisfy(LinkCode.isValidTag) { errors.append(.init(field: "tags", message: "each tag is 1-32 of A-Z a-z 0-9 _ -")) }
        }
        try Problem.throwIfInvalid(errors)
        return kept
    }
}

extension LinkCode {
    static func isValidTag(_ tag: String) -> Bool {
        (1...32).contains(tag.utf8.count) && isPlausible(Substring(tag))
    }
}
