import ApusCore
import ApusTesting
@testable import Chat
import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing

@Suite struct PresenceTests {
    struct Present: Decodable { let items: [User]; struct User: Decodable { let userId: String } }

    /// Users subscribed on two nodes are both present; one leaving is told to the other.
    @Test(arguments: DatabaseEngine.allCases)
    func presenceSpansNodesAndLeavingIsAnnounced(engine: DatabaseEngine) async throws {
        try await TestServer.withTwoServers(engine: engine, modules: [ChatModule()]) { first, second in
            let one = ChatNode(server: first.0, client: first.1)
            let two = ChatNode(server: second.0, client: second.1)
            let ada = try await one.user("ada")
            let bob = try await one.user("bob")
            let room = try await one.room("public", token: ada.token)
            _ = try await two.call("/v1/chat/rooms/\(room)/members", .post, bob.token, "{}")
            let adaSaw = Mutex<[ChatFrame]>([])
            try await TestSocket.connect(port: one.port, path: "/v1/chat/socket", headers: ChatSocketTests.header(ada.token)) { adaSocket in
                try await adaSocket.send(json: ["type": "subscribe", "room": room, "ref": 1])
                _ = try await adaSocket.frames(until: ChatSocketTests.isAck(1))
                try await TestSocket.connect(port: two.port, path: "/v1/chat/socket", headers: ChatSocketTests.header(bob.token)) { bobSocket in
                    try await bobSocket.send(json: ["type": "subscribe", "room": room, "ref": 1])
                    _ = try await bobSocket.frames(until: ChatSocketTests.isAck(1))
                    let present = try await one.call("/v1/chat/rooms/\(room)/presence", .get, ada.token).decoded(Present.self)
                    #expect(Set(present.items.map(\.userId)) == [ada.id, bob.id])
                }
                let frames = try await adaSocket.frames { $0.type == "presence" && $0["user_id"] as? String == bob.id && $0["online"] as? Bool == false }
                adaSaw.withLock { $0 = frames.filter { $0.type == "presence" && $0["user_id"] as? String == bob.id } }
            }
            #expect(adaSaw.withLock { $0 }.map { $0["online"] as? Bool } == [true, false])
            // Ada's socket is gone too; her node records it as it closes.
            try await expectEventually {
                try await one.call("/v1/chat/rooms/\(room)/presence", .get, ada.token).decoded(Present.self).items.isEmpty
            }
        }
    }

    /// A node that stops beating leaves rows behind; the next heartbeat anywhere sweeps them
    /// and tells the room.
    @Test(arguments: DatabaseEngine.allCases)
    func aDeadNodesUsersAreSweptAndAnnounced(engine: DatabaseEngine) async throws {
        try await ChatNode.with(engine: engine) { node in
            let ada = try await node.user("ada")
            let room = try await node.room("public", token: ada.token)
            let platform = node.server.platform
            let saw = Mutex<[ChatFrame]>([])
            try await TestSocket.connect(port: node.port, path: "/v1/chat/socket", headers: ChatSocketTests.header(ada.token)) { socket in
                try await socket.send(json: ["type": "subscribe", "room": room, "ref": 1])
                _ = try await socket.frames(until: ChatSocketTests.isAck(1))
                try await platform.transaction { transaction in
                    try await PresenceStore.enter(room: room, user: "usr_ghost", node: "node_dead", until: transaction.now().addingTimeInterval(-1), on: transaction.sql)
                }
                try await ChatPresence(platform: platform, heartbeat: 10, logger: TestDatabase.logger).beat()
                let frames = try await socket.frames { $0.type == "presence" && $0["user_id"] as? String == "usr_ghost" }
                saw.withLock { $0 = frames }
                // Ada's own row was refreshed, not swept.
                let present = try await node.call("/v1/chat/rooms/\(room)/presence", .get, ada.token).decoded(Present.self)
                #expect(present.items.map(\.userId) == [ada.id])
            }
            #expect(saw.withLock { $0 }.last?["online"] as? Bool == false)
        }
    }
}
