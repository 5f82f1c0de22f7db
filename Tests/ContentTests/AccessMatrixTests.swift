import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Every role against every action, each answer asserted: who may do what to whose entries.
@Suite struct AccessMatrixTests {
    enum Who: String, CaseIterable { case anonymous, viewer, author, otherAuthor, editor, admin }

    func token(_ who: Who, _ cms: CMS) -> String? {
        switch who {
        case .anonymous: nil
        case .viewer: cms.viewer
        case .author: cms.author
        case .otherAuthor: cms.otherAuthor
        case .editor: cms.editor
        case .admin: cms.admin
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func everyRoleGetsTheAnswerItsRightsGive(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            try await cms.type(#"{"name":"Memo","api_id":"memos","fields":[{"name":"title","kind":"text"}]}"#)
            // (action, expected answer per role: anonymous, viewer, author (the entry's own), other author, editor, admin)
            typealias Row = (String, [HTTPResponse.Status])
            let allowed = HTTPResponse.Status.ok
            let rows: [Row] = [
                ("read", [.unauthorized, allowed, allowed, allowed, allowed, allowed]),
                ("list", [.unauthorized, allowed, allowed, allowed, allowed, allowed]),
                ("create", [.unauthorized, .forbidden, .created, .created, .created, .created]),
                ("edit", [.unauthorized, .forbidden, allowed, .forbidden, allowed, allowed]),
                ("submit", [.unauthorized, .forbidden, allowed, .forbidden, allowed, allowed]),
                ("preview token", [.unauthorized, .forbidden, .created, .forbidden, .created, .created]),
                ("publish", [.unauthorized, .forbidden, .forbidden, .forbidden, allowed, allowed]),
                ("schedule", [.unauthorized, .forbidden, .forbidden, .forbidden, allowed, allowed]),
                ("unpublish", [.unauthorized, .forbidden, .forbidden, .forbidden, allowed, allowed]),
                ("archive", [.unauthorized, .forbidden, .forbidden, .forbidden, allowed, allowed]),
                ("delete", [.unauthorized, .forbidden, .forbidden, .forbidden, .noContent, .noContent]),
                ("manage types", [.unauthorized, .forbidden, .forbidden, .forbidden, .forbidden, .created]),
                ("read published (public type)", [allowed, allowed, allowed, allowed, allowed, allowed]),
                ("read published (private type)", [.notFound, allowed, allowed, allowed, allowed, allowed]),
            ]
            for (action, answers) in rows {
                for (who, expected) in zip(Who.allCases, answers) {
                    let status = try await attempt(action, as: who, cms)
                    #expect(status == expected, "\(who.rawValue) \(action): \(status) instead of \(expected)")
                }
            }
        }
    }

    /// Does `action` as `who` to a fresh entry of the author's, returning the answer's status.
    private func attempt(_ action: String, as who: Who, _ cms: CMS) async throws -> HTTPResponse.Status {
        let entry = try await cms.entry(#"{"title":"Matrix \#(UUID().uuidString)"}"#)
        let memo = try await cms.entry(#"{"title":"Memo"}"#, type: "memos")
        #expect(try await cms.move(memo, "publish", type: "memos").status == .ok)
        let path = "/v1/content/posts/entries/\(entry.string("id"))"
        let token = token(who, cms)
        let current: HTTPFields = [.ifMatch: "\"\(entry.int("version"))\""]
        switch action {
        case "read": return try await cms.get(path, token: token).status
        case "list": return try await cms.get("/v1/content/posts/entries", token: token).status
        case "create": return try await cms.client.json("/v1/content/posts/entries", .post, token: token, body: #"{"title":"New \#(UUID().uuidString)"}"#).status
        case "edit": return try await cms.client.json(path, .patch, token: token, body: #"{"body":"x"}"#, headers: current).status
        case "submit": return try await cms.client.json("\(path)/submit", .post, token: token).status
        case "preview token": return try await cms.client.json("\(path)/preview-token", .post, token: token).status
        case "publish": return try await cms.client.json("\(path)/publish", .post, token: token).status
        case "schedule":
            return try await cms.client.json(path, .patch, token: token, body: #"{"publish_at":"2999-01-01T00:00:00Z"}"#, headers: current).status
        case "unpublish":
            _ = try await cms.move(entry, "publish")
            return try await cms.client.json("\(path)/unpublish", .post, token: token).status
        case "archive": return try await cms.client.json("\(path)/archive", .post, token: token).status
        case "delete": return try await cms.client.json(path, .delete, token: token).status
        case "manage types":
            return try await cms.client.json("/v1/content/types", .post, token: token, body: #"{"name":"T","api_id":"t\#(Int.random(in: 0..<1_000_000_000))"}"#).status
        case "read published (public type)":
            _ = try await cms.move(entry, "publish")
            return try await cms.get("/v1/content/posts/published/by-slug/\(entry.string("slug"))", token: token).status
        case "read published (private type)":
            return try await cms.get("/v1/content/memos/published", token: token).status
        default:
            Issue.record("no such action \(action)")
            return .internalServerError
        }
    }
}
