import ApusCore
import ApusTemplates
import Foundation
import Hummingbird

/// Mustache templates under `/v1/notification-templates`.
struct TemplateRoutes {
    let templates: TemplateStore

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let group = router.group("/v1/notification-templates").add(middleware: RequirePermission(NotificationsModule.manageTemplates))
        group.post { request, context -> Response in
            let principal = try context.require(NotificationsModule.manageTemplates)
            let body = try await request.decodeJSON(as: TemplateBody.self, context: context)
            guard let name = body.name else {
                throw Problem.unprocessable("name is required.", errors: [.init(field: "name", message: "required")])
            }
            let template = try Self.validated(name: name, body, at: templates.platform.now())
            guard try await templates.create(template, by: principal.userID) else { throw Problem.conflict("A template \(name) exists; PUT replaces it.") }
            return try context.created(try await templates.find(name: name) ?? template, at: "/v1/notification-templates/\(name)", for: request)
        }
        group.get { request, _ -> Page<NotificationTemplate> in
            let limit = try request.pageLimit()
            let cursor = try request.uri.queryParameters.get("cursor").map { text -> String in
                guard NotificationFields.isName(String(text)) else { throw Problem.badRequest("cursor is not one this API handed out.") }
                return String(text)
            }
            let page = try await templates.list(limit: limit + 1, after: cursor)
            return Page(fetched: page, limit: limit) { $0.name }
        }
        group.get("/{name}") { _, context -> NotificationTemplate in
            let name = try context.parameters.require("name")
            guard let template = try await templates.find(name: name) else { throw Problem.notFound("No template \(name).") }
            return template
        }
        group.put("/{name}") { request, context -> NotificationTemplate in
            let principal = try context.require(NotificationsModule.manageTemplates)
            let name = try context.parameters.require("name")
            let body = try await request.decodeJSON(as: TemplateBody.self, context: context)
            if let bodyName = body.name, bodyName != name {
                throw Problem.unprocessable("name differs from the path.", errors: [.init(field: "name", message: "must match the path")])
            }
            guard try await templates.save(try Self.validated(name: name, body, at: templates.platform.now()), by: principal) != .notYours else {
                throw Self.notYours(name)
            }
            guard let saved = try await templates.find(name: name) else { throw Problem.notFound("No template \(name).") }
            return saved
        }
        group.delete("/{name}") { _, context -> Response in
            let principal = try context.require(NotificationsModule.manageTemplates)
            let name = try context.parameters.require("name")
            guard try await templates.delete(name: name, by: principal) else {
                if try await templates.find(name: name) != nil { throw Self.notYours(name) }
                throw Problem.notFound("No template \(name).")
            }
            return Response(status: .noContent)
        }
    }

    /// Templates are shared for reading and sending, so another's template is visible: changing
    /// it is forbidden rather than hidden.
    static func notYours(_ name: String) -> Problem {
        Problem.forbidden("The template \(name) belongs to someone else; only they or an admin may change it.")
    }

    static func validated(name: String, _ body: TemplateBody, at now: Date) throws -> NotificationTemplate {
        guard NotificationFields.isName(name) else {
            throw Problem.unprocessable("name is 1-64 of A-Z a-z 0-9 _ - .", errors: [.init(field: "name", message: "invalid")])
        }
        for (field, text) in [("subject", body.subject), ("text_body", body.textBody), ("html_body", body.htmlBody ?? "")] {
            guard text.utf8.count <= 100_000 else { throw Problem.unprocessable("\(field) is at most 100 kB.", errors: [.init(field: field, message: "too long")]) }
            do {
                try TemplateRenderer.validate(text)
            } catch {
                throw Problem.unprocessable("\(field) is not a valid Mustache template: \(error)", errors: [.init(field: field, message: "invalid template")])
            }
        }
        return NotificationTemplate(name: name, subject: body.subject, textBody: body.textBody, htmlBody: body.htmlBody, ownerId: nil, createdAt: now, updatedAt: now)
    }
}
