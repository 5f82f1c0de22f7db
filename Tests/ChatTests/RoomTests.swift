import ApusCore
import ApusTesting
@testable import Chat
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct RoomTests {
    @Test(arguments: DatabaseEngine.allCases)
    func publicRoomsAreJoinedPrivateOnesAreHidden(engine: DatabaseEngine) async throws {
        try await ChatNode.with(engine: engine) { node in
            let ada = try await node.user("ada")
            let bob = try await node.user("bob")
            let open = try await node.room("public", token: ada.token)
            let secret = try await node.room("private", name: "secret", token: ada.token)
            #expect(try await node.call("/v1/chat/rooms/\(secret)", .get, bob.token).status == .notFound)
            #expect(try await node.call("/v1/chat/rooms/\(open)", .get, bob.token).status == .ok)
            // Seeing a public room is not being in it.
            #expect(try await node.send("hi", to: open, token: bob.token).status == .forbidden)
            #expect(try await node.call("/v1/chat/rooms/\(open)/members", .post, bob.token, "{}").status == .ok)
            #expect(try await node.send("hi", to: open, token: bob.token).status == .created)
            // A private room is joined only by being added.
            #expect(try await node.call("/v1/chat/rooms/\(secret)/members", .post, bob.token, "{}").status == .notFound)
            #expect(try await node.call("/v1/chat/rooms/\(secret)/members", .post, ada.token, #"{"user":"\#(bob.id)"}"#).status == .ok)
            let rooms = try await node.call("/v1/chat/rooms", .get, bob.token)
            #expect(String(buffer: rooms.body).contains(secret) && String(buffer: rooms.body).contains(open))
        }
    }

    @Test func aDirectRoomIsOnePerPair() async throws {
        try await ChatNode.with { node in
            let ada = try await node.user("ada")
            let bob = try await node.user("bob")
            let first = try await node.call("/v1/chat/rooms", .post, ada.token, #"{"kind":"direct","user":"\#(bob.id)"}"#)
            #expect(first.status == .created)
            let again = try await node.call("/v1/chat/rooms", .post, bob.token, #"{"kind":"direct","user":"\#(ada.id)"}"#)
            #expect(again.status == .ok)
            #expect(try first.decoded(ChatNode.RoomBody.self).id == again.decoded(ChatNode.RoomBody.self).id)
            #expect(try await node.call("/v1/chat/rooms", .post, ada.token, #"{"kind":"direct","user":"\#(ada.id)"}"#).status == .unprocessableContent)
            #expect(try await node.call("/v1/chat/rooms", .post, ada.token, #"{"kind":"direct","user":"usr_nobody"}"#).status == .unprocessableContent)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aBannedUserCannotRejoinAndOnlyModeratorsBan(engine: DatabaseEngine) async throws {
        try await ChatNode.with(engine: engine) { node in
            let ada = try await node.user("ada")
            let bob = try await node.user("bob")
            let cy = try await node.user("cy")
            let room = try await node.room("public", token: ada.token)
            for user in [bob, cy] { _ = try await node.call("/v1/chat/rooms/\(room)/members", .post, user.token, "{}") }
            #expect(try await node.call("/v1/chat/rooms/\(room)/bans", .post, cy.token, #"{"user":"\#(bob.id)"}"#).status == .forbidden)
            #expect(try await node.call("/v1/chat/rooms/\(room)/bans", .post, ada.token, #"{"user":"\#(bob.id)"}"#).status == .noContent)
            #expect(try await node.send("back", to: room, token: bob.token).status == .forbidden)
            #expect(try await node.call("/v1/chat/rooms/\(room)/members", .post, bob.token, "{}").status == .forbidden)
            #expect(try await node.call("/v1/chat/rooms/\(room)/bans/\(bob.id)", .delete, ada.token).status == .noContent)
            #expect(try await node.call("/v1/chat/rooms/\(room)/members", .post, bob.token, "{}").status == .ok)
            // A moderator may remove members, not the owner.
            #expect(try await node.call("/v1/chat/rooms/\(room)/members", .post, ada.token, #"{"user":"\#(cy.id)","role":"moderator"}"#).status == .ok)
            #expect(try await node.call("/v1/chat/rooms/\(room)/members/\(bob.id)", .delete, cy.token).status == .noContent)
            #expect(try await node.call("/v1/chat/rooms/\(room)/members/\(ada.id)", .delete, cy.token).status == .forbidden)
            #expect(try await node.call("/v1/chat/rooms/\(room)/members", .post, cy.token, #"{"user":"\#(bob.id)","role":"owner"}"#).status == .forbidden)
        }
    }

    @Test func badInputIsA4xx() async throws {
        try await ChatNode.with { node in
            let ada = try await node.user("ada")
            #expect(try await node.call("/v1/chat/rooms", .post, ada.token, #"{"kind":"castle","name":"x"}"#).status == .unprocessableContent)
            #expect(try await node.call("/v1/chat/rooms", .post, ada.token, #"{"kind":"public"}"#).status == .unprocessableContent)
            #expect(try await node.call("/v1/chat/rooms", .post, ada.token, #"{"kind":"public","name":"\#(String(repeating: "n", count: 101))"}"#).status == .unprocessableContent)
            #expect(try await node.call("/v1/chat/rooms/not-an-id", .get, ada.token).status == .notFound)
            #expect(try await node.client.execute(uri: "/v1/chat/rooms", method: .get).status == .unauthorized)
            let room = try await node.room("public", token: ada.token)
            #expect(try await node.call("/v1/chat/rooms/\(room)/messages?before=x", .get, ada.token).status == .badRequest)
            #expect(try await node.call("/v1/chat/rooms/\(room)/bans", .post, ada.token, #"{"user":""}"#).status == .unprocessableContent)
            #expect(try await node.call("/v1/chat/rooms", .post, ada.token, #"{"kind":"public","name":""}"#).status == .unprocessableContent)
            #expect(try await node.send("", to: room, token: ada.token).status == .unprocessableContent)
            #expect(try await node.send(String(repeating: "x", count: 4001), to: room, token: ada.token).status == .unprocessableContent)
        }
    }
}
