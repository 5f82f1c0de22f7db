import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// What the content routes read from requests and write on responses, shared by them all.
enum ContentRequests {
    /// The version `If-Match` names: `nil` for `*` or, when not `required`, for no header; 428
    /// when required and absent, 400 when it is not one tag this API hands out.
    static func expectedVersion(_ request: Request, required: Bool, what: String) throws -> Int? {
        // An empty header on a route that does not need one says nothing.
        if !required, request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces).isEmpty ?? true { return nil }
        switch try IfMatch.required(request.headers, detail: "Send If-Match with the \(what)'s ETag to change it.") {
        case .any:
            return nil
        case .tags(let tags):
            guard tags.count == 1, let version = Int(tags[0].value), version > 0 else {
                throw Problem.badRequest("If-Match must be an ETag of this API, such as \"3\", or *.")
            }
            return version
        }
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
