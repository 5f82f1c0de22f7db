import ApusCore
import ApusTesting
@testable import Chat
import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing

/// Two nodes sharing one database: sockets of one room on both see every message, in the same
/// order.
@Suite struct ChatClusterTests {
    @Test(arguments: DatabaseEngine.allCases)
    func usersOnTwoNodesSeeTheSameMessagesInTheSameOrder(engine: DatabaseEngine) async throws {
        try await TestServer.withTwoServers(engine: engine, modules: [ChatModule()]) { first, second in
            let one = ChatNode(server: first.0, client: first.1)
            let two = ChatNode(server: second.0, client: second.1)
            let ada = try await one.user("ada")
            let bob = try await one.user("bob")
            let room = try await one.room("public", token: ada.token)
            _ = try await two.call("/v1/chat/rooms/\(room)/members", .post, bob.token, "{}")
            let seen = try await withThrowingTaskGroup(of: (String, [String]).self) { group in
                for (name, node, user) in [("ada", one, ada), ("bob", two, bob)] {
                    group.addTask {
                        let texts = Mutex<[String]>([])
                        try await TestSocket.connect(port: node.port, path: "/v1/chat/socket", headers: ChatSocketTests.header(user.token)) { socket in
                            try await socket.send(json: ["type": "subscribe", "room": room, "last_seq": 0, "ref": 1])
                            // Messages from storage (sent before the ack) count too.
                            var frames = try await socket.frames(until: ChatSocketTests.isAck(1))
                            for index in 0..<10 {
                                try await socket.send(json: ["type": "send", "room": room, "text": "\(name) \(index)"])
                            }
                            if !frames.contains(where: { $0.seq == 20 }) { frames += try await socket.frames { $0.seq == 20 } }
                            let received = frames.compactMap { $0.message?["text"] as? String }
                            texts.withLock { $0 = received }
                        }
                        return (name, texts.withLock { $0 })
                    }
                }
                var seen: [String: [String]] = [:]
                for try await (name, texts) in group { seen[name] = texts }
                return seen
            }
            let all = seen
            #expect(all["ada"]?.count == 20)
            #expect(all["ada"] == all["bob"])
        }
    }
}
