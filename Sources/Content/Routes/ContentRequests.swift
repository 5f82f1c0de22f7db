import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// What the content routes read from requests and write on responses, shared by them all.
enum ContentRequests {
    /// The version `If-Match` names (see ``IfMatch/version(_:required:detail:)``).
    static func expectedVersion(_ request: Request, required: Bool, what: String) throws -> Int? {
        try IfMatch.version(request.headers, required: required, detail: "Send If-Match with the \(what)'s ETag to change it.")
    }

    static func etag(_ version: Int) -> String { EntityTag(String(version)).header }

    /// `?locale=`, when given, as a locale tag (whether the type offers it is the type's to say).
    static func locale(_ request: Request) throws -> String? {
        guard let locale = request.uri.queryParameters.get("locale") else { return nil }
        guard TypeRules.isValidLocale(locale) else { throw Problem.badRequest("locale must be a locale tag such as en or pt-BR.") }
        return locale
    }

    /// `?name=` as a flag: `true`/`1` or `false`/`0`.
    static func flag(_ request: Request, _ name: String) throws -> Bool {
        guard let text = request.uri.queryParameters.get(name) else { return false }
        switch text {
        case "true", "1": return true
        case "false", "0", "": return false
        default: throw Problem.badRequest("\(name) must be true or false.")
        }
    }

    /// The type's api id from the path: a malformed one is a 404, like an unknown one.
    static func typeID(_ context: ApusRequestContext) throws -> String {
        let apiID = try context.parameters.require("type")
        guard TypeRules.isValidAPIID(apiID) else { throw Problem.notFound("No content type \(apiID).") }
        return apiID
    }

    /// An entry answered to staff, tagged with its version.
    static func document(_ document: EntryDocument, status: HTTPResponse.Status = .ok, location: String? = nil) throws -> Response {
        var headers: HTTPFields = [.eTag: etag(document.entry.version)]
        if let location { headers[.location] = location }
        return try ContentJSON.response(document.json, status: status, headers: headers)
    }
}
