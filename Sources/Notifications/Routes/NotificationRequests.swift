import ApusCore
import Foundation

/// `POST /v1/notifications`.
struct SendNotification: Decodable, Sendable {
    var recipient: String
    var channel: String
    var template: String?
    var subject: String?
    var body: String?
    var data: JSONValue?
    var category: String?
}

/// `POST /v1/notification-templates` and `PUT /v1/notification-templates/{name}`.
struct TemplateBody: Decodable, Sendable {
    var name: String?
    var subject: String
    var textBody: String
    var htmlBody: String?
}

/// `POST /v1/webhooks/endpoints`.
struct CreateEndpoint: Decodable, Sendable {
    var url: String
    var eventTypes: [String]
}

/// `PATCH /v1/webhooks/endpoints/{id}`.
struct PatchEndpoint: Decodable, Sendable {
    var url: String?
    var eventTypes: [String]?
    var disabled: Bool?
}

/// `GET/PUT /v1/users/me/notification-preferences`: category → channel → enabled.
struct Preferences: Codable, Sendable {
    var categories: [String: [String: Bool]]
}

/// Field rules shared by the routes.
enum NotificationFields {
    static func isName(_ text: String, max: Int = 64, extra: Set<Character> = ["_", "-", "."]) -> Bool {
        !text.isEmpty && text.count <= max && text.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || extra.contains($0) }
    }

    static func isEmailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return text.utf8.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !text.contains { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," || $0.asciiValue.map { $0 < 32 || $0 == 127 } ?? false }
    }

    static func isWebhookURL(_ text: String) -> Bool {
        guard text.utf8.count <= 2048, let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else { return false }
        return true
    }
}
