@_spi(Platform) import ApusCore
import ApusTesting
@testable import Chat
import Foundation
import HTTPTypes
import HummingbirdTesting
import SQLKit
import Testing

@Suite struct MessageTests {
    @Test(arguments: DatabaseEngine.allCases)
    func historyPagesByNumberOldestFirst(engine: DatabaseEngine) async throws {
        try await ChatNode.with(engine: engine) { node in
            let ada = try await node.user("ada")
            let room = try await node.room("public", token: ada.token)
            for index in 1...25 { _ = try await node.send("m\(index)", to: room, token: ada.token) }
            let newest = try await node.call("/v1/chat/rooms/\(room)/messages?limit=10", .get, ada.token).decoded(ChatNode.MessagePage.self)
            #expect(newest.items.map(\.seq) == Array(16...25))
            #expect(newest.nextCursor == "16")
            let older = try await node.call("/v1/chat/rooms/\(room)/messages?limit=10&before=16", .get, ada.token).decoded(ChatNode.MessagePage.self)
            #expect(older.items.map(\.seq) == Array(6...15))
            let oldest = try await node.call("/v1/chat/rooms/\(room)/messages?limit=10&before=6", .get, ada.token).decoded(ChatNode.MessagePage.self)
            #expect(oldest.items.map(\.seq) == Array(1...5))
            #expect(oldest.nextCursor == nil)
            let after = try await node.call("/v1/chat/rooms/\(room)/messages?limit=3&after=20", .get, ada.token).decoded(ChatNode.MessagePage.self)
            #expect(after.items.map(\.text) == ["m21", "m22", "m23"])
            let between = try await node.call("/v1/chat/rooms/\(room)/messages?after=20&before=23", .get, ada.token).decoded(ChatNode.MessagePage.self)
            #expect(between.items.map(\.seq) == [21, 22])
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aResentClientIDReturnsTheFirstMessage(engine: DatabaseEngine) async throws {
        try await ChatNode.with(engine: engine) { node in
            let ada = try await node.user("ada")
            let room = try await node.room("public", token: ada.token)
            let first = try await node.send("once", to: room, token: ada.token, clientID: "c-1")
            #expect(first.status == .created)
            let again = try await node.send("once", to: room, token: ada.token, clientID: "c-1")
            #expect(again.status == .ok)
            #expect(try first.decoded(ChatNode.MessageBody.self) == again.decoded(ChatNode.MessageBody.self))
            let page = try await node.call("/v1/chat/rooms/\(room)/messages", .get, ada.token).decoded(ChatNode.MessagePage.self)
            #expect(page.items.count == 1)
        }
    }

    /// Many senders at once: every number is used once, none skipped, on both engines.
    @Test(arguments: DatabaseEngine.allCases)
    func concurrentSendersGetGapFreeNumbers(engine: DatabaseEngine) async throws {
        try await ChatNode.with(engine: engine) { node in
            let ada = try await node.user("ada")
            let room = try await node.room("public", token: ada.token)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let status = try await node.send("n\(index)", to: room, token: ada.token).status
                        #expect(status == .created)
                    }
                }
                try await group.waitForAll()
            }
            let page = try await node.call("/v1/chat/rooms/\(room)/messages?limit=100", .get, ada.token).decoded(ChatNode.MessagePage.self)
            #expect(page.items.map(\.seq) == Array(1...40))
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func editsKeepVersionsDeletesLeaveTombstonesReactionsToggle(engine: DatabaseEngine) async throws {
        try await ChatNode.with(engine: engine) { node in
            let ada = try await node.user("ada")
            let bob = try await node.user("bob")
            let room = try await node.room("public", token: ada.token)
            _ = try await node.call("/v1/chat/rooms/\(room)/members", .post, bob.token, "{}")
            let message = try await node.send("frist", to: room, token: bob.token).decoded(ChatNode.MessageBody.self)
            let path = "/v1/chat/rooms/\(room)/messages/\(message.id)"
            #expect(try await node.call(path, .patch, ada.token, #"{"text":"not yours"}"#).status == .forbidden)
            let edited = try await node.call(path, .patch, bob.token, #"{"text":"first"}"#).decoded(ChatNode.MessageBody.self)
            #expect(edited.text == "first" && edited.editedAt != nil)
            let versions = try await node.call(path + "/versions", .get, ada.token)
            #expect(String(buffer: versions.body).contains("frist"))
            #expect(try await node.call(path + "/reactions", .post, ada.token, #"{"emoji":"👍"}"#).status == .ok)
            var page = try await node.call("/v1/chat/rooms/\(room)/messages", .get, ada.token).decoded(ChatNode.MessagePage.self)
            #expect(page.items.first?.reactions == ["👍": [ada.id]])
            let back = try await node.call(path + "/reactions", .post, ada.token, #"{"emoji":"👍"}"#)
            #expect(String(buffer: back.body) == #"{"emoji":null}"#)
            #expect(try await node.call(path + "/reactions", .post, ada.token, #"{"emoji":"a b"}"#).status == .unprocessableContent)
            // The owner moderates: the message goes, its number stays.
            #expect(try await node.call(path, .delete, ada.token).status == .noContent)
            page = try await node.call("/v1/chat/rooms/\(room)/messages", .get, ada.token).decoded(ChatNode.MessagePage.self)
            #expect(page.items.count == 1 && page.items[0].text.isEmpty && page.items[0].deletedAt != nil && page.items[0].seq == 1)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func readMarksMakeUnreadCounts(engine: DatabaseEngine) async throws {
        try await ChatNode.with(engine: engine) { node in
            let ada = try await node.user("ada")
            let bob = try await node.user("bob")
            let room = try await node.room("public", token: ada.token)
            _ = try await node.call("/v1/chat/rooms/\(room)/members", .post, bob.token, "{}")
            for index in 1...5 { _ = try await node.send("m\(index)", to: room, token: ada.token) }
            struct Unread: Decodable { let roomId: String; let unread: Int }
            struct Page: Decodable { let items: [Unread] }
            var unread = try await node.call("/v1/chat/unread", .get, bob.token).decoded(Page.self)
            #expect(unread.items.first?.unread == 5)
            #expect(try await node.call("/v1/chat/rooms/\(room)/read", .post, bob.token, #"{"seq":3}"#).status == .ok)
            // Never backwards, never past the newest.
            _ = try await node.call("/v1/chat/rooms/\(room)/read", .post, bob.token, #"{"seq":1}"#)
            unread = try await node.call("/v1/chat/unread", .get, bob.token).decoded(Page.self)
            #expect(unread.items.first?.unread == 2)
            let past = try await node.call("/v1/chat/rooms/\(room)/read", .post, bob.token, #"{"seq":99}"#)
            #expect(String(buffer: past.body) == #"{"last_read_seq":5}"#)
        }
    }

    /// History walks the (room, seq) index on both engines, without sorting.
    @Test(arguments: DatabaseEngine.allCases)
    func historyUsesTheSequenceIndex(engine: DatabaseEngine) async throws {
        try await ChatNode.with(engine: engine) { node in
            let database = node.server.platform.database
            for statement in [MessageStore.beforeStatement(40, in: "room_x", limit: 51), MessageStore.afterStatement(10, in: "room_x", limit: 51)] {
                let plan = try await QueryPlan.of(statement, engine: engine, on: database)
                #expect(plan.contains("chat_messages_room_seq"), "\(plan)")
                #expect(!plan.contains("Sort") && !plan.contains("TEMP B-TREE"), "\(plan)")
            }
        }
    }
}
