import ApusCore
import Foundation
import Hummingbird

/// The signed-in user's in-app notifications and their notification preferences.
struct InboxRoutes {
    let store: NotificationStore
    let preferences: PreferenceStore

    struct UnreadCount: Codable, ResponseEncodable {
        var unread: Int
    }

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let inbox = router.group("/v1/inbox").add(middleware: RequirePermission(.ownAccount))
        inbox.get { request, context -> Page<NotificationRecord> in
            let principal = try context.require(.ownAccount)
            let limit = try request.pageLimit()
            // The cursor is an offset: unread-first order has no stable key to resume from.
            let offset = try request.uri.queryParameters.get("cursor").map { text -> Int in
                guard let offset = Int(text), offset >= 0, offset <= 9_999_999 else { throw Problem.badRequest("cursor is not one this API handed out.") }
                return offset
            } ?? 0
            let page = try await store.inbox(userID: principal.userID, limit: limit + 1, offset: offset)
            return Page(items: Array(page.prefix(limit)), nextCursor: page.count > limit ? String(offset + limit) : nil)
        }
        inbox.get("/unread-count") { _, context -> UnreadCount in
            UnreadCount(unread: try await store.unreadCount(userID: try context.require(.ownAccount).userID))
        }
        inbox.post("/{id}/read") { _, context -> NotificationRecord in
            let principal = try context.require(.ownAccount)
            let id = try context.parameters.require("id")
            guard OpaqueID.isWellFormed(id), let record = try await store.markRead(id: id, userID: principal.userID) else {
                throw Problem.notFound("No notification \(id) in your inbox.")
            }
            return record
        }
        let mine = router.group("/v1/users/me/notification-preferences").add(middleware: RequirePermission(.ownAccount))
        mine.get { _, context -> Preferences in
            Preferences(categories: try await preferences.preferences(userID: try context.require(.ownAccount).userID))
        }
        mine.put { request, context -> Preferences in
            let principal = try context.require(.ownAccount)
            let body = try await request.decodeJSON(as: Preferences.self, context: context)
            for (category, channels) in body.categories {
                guard NotificationFields.isName(category) else {
                    throw Problem.unprocessable("Category \(category) is not 1-64 of A-Z a-z 0-9 _ - .", errors: [.init(field: "categories", message: "invalid category")])
                }
                if let channel = channels.keys.first(where: { DeliveryChannel(rawValue: $0) == nil }) {
                    throw Problem.unprocessable("The channel \(channel) is not one of webhook, email or in_app.", errors: [.init(field: "categories.\(category)", message: "unknown channel")])
                }
                if category == PreferenceStore.critical, channels.values.contains(false) {
                    throw Problem.unprocessable("Critical notifications cannot be muted.", errors: [.init(field: "categories.critical", message: "cannot be muted")])
                }
            }
            guard body.categories.count <= 200 else { throw Problem.unprocessable("At most 200 categories.", errors: [.init(field: "categories", message: "too many")]) }
            try await preferences.replace(userID: principal.userID, with: body.categories)
            return Preferences(categories: try await preferences.preferences(userID: principal.userID))
        }
    }
}

extension Preferences: ResponseEncodable {}
