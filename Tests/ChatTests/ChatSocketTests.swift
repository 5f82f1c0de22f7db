@_spi(Platform) import ApusCore
import ApusTesting
@testable import Chat
import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing

@Suite struct ChatSocketTests {
    static func header(_ token: String) -> HTTPFields { [.secWebSocketProtocol: "apus, bearer.\(token)"] }

    static func seqs(_ frames: [ChatFrame]) -> [Int] {
        frames.compactMap { frame in
            guard frame["type"] as? String == "message" else { return nil }
            return (frame["message"] as? [String: Any])?["seq"] as? Int
        }
    }

    static func isAck(_ ref: Int) -> (ChatFrame) -> Bool {
        { $0["type"] as? String == "ack" && $0["ref"] as? Int == ref }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func twoUsersExchangeMessages(engine: DatabaseEngine) async throws {
        try await ChatNode.with(engine: engine) { node in
            let ada = try await node.user("ada")
            let bob = try await node.user("bob")
            let room = try await node.room("public", token: ada.token)
            _ = try await node.call("/v1/chat/rooms/\(room)/members", .post, bob.token, "{}")
            let bobSaw = Mutex<[ChatFrame]>([])
            try await TestSocket.connect(port: node.port, path: "/v1/chat/socket", headers: Self.header(bob.token)) { bobSocket in
                try await bobSocket.send(json: ["type": "subscribe", "room": room, "ref": 1])
                _ = try await bobSocket.frames(until: Self.isAck(1))
                try await TestSocket.connect(port: node.port, path: "/v1/chat/socket") { adaSocket in
                    try await adaSocket.send(json: ["type": "auth", "token": ada.token])
                    _ = try await adaSocket.nextFrame()
                    try await adaSocket.send(json: ["type": "send", "room": room, "text": "hello bob", "client_id": "a1", "ref": 7])
                    let ack = try await adaSocket.frames(until: Self.isAck(7)).last
                    #expect((ack?["message"] as? [String: Any])?["seq"] as? Int == 1)
                }
                let frames = try await bobSocket.frames { $0["type"] as? String == "message" }
                bobSaw.withLock { $0 = frames }
            }
            let message = bobSaw.withLock { $0 }.last?["message"] as? [String: Any]
            #expect(message?["text"] as? String == "hello bob")
            #expect(message?["sender_id"] as? String == ada.id)
        }
    }

    /// A client that was away gets exactly what it missed, in order, then the ack, then live
    /// messages.
    @Test(arguments: DatabaseEngine.allCases)
    func aReconnectingClientRecoversWhatItMissed(engine: DatabaseEngine) async throws {
        try await ChatNode.with(engine: engine) { node in
            let ada = try await node.user("ada")
            let bob = try await node.user("bob")
            let room = try await node.room("public", token: ada.token)
            _ = try await node.call("/v1/chat/rooms/\(room)/members", .post, bob.token, "{}")
            _ = try await node.send("before", to: room, token: ada.token)
            for index in 1...50 { _ = try await node.send("missed \(index)", to: room, token: ada.token) }
            let received = Mutex<[ChatFrame]>([])
            try await TestSocket.connect(port: node.port, path: "/v1/chat/socket", headers: Self.header(bob.token)) { socket in
                try await socket.send(json: ["type": "subscribe", "room": room, "last_seq": 1, "ref": 2])
                var frames = try await socket.frames(until: Self.isAck(2))
                _ = try await node.send("live", to: room, token: ada.token)
                frames += try await socket.frames { $0["type"] as? String == "message" }
                received.withLock { $0 = frames }
            }
            let frames = received.withLock { $0 }
            let ackIndex = try #require(frames.firstIndex(where: Self.isAck(2)))
            #expect(Self.seqs(Array(frames[..<ackIndex])) == Array(2...51))
            #expect(frames[ackIndex]["recovered"] as? Bool == true)
            #expect(frames[ackIndex]["seq"] as? Int == 51)
            #expect(Self.seqs(Array(frames[(ackIndex + 1)...])) == [52])
        }
    }

    @Test func pastTheRecoveryLimitTheClientPagesHistory() async throws {
        try await ChatNode.with(configure: { $0.settings = Settings(["APUS_CHAT_RECOVERY_LIMIT": "10"]) }) { node in
            let ada = try await node.user("ada")
            let room = try await node.room("public", token: ada.token)
            for index in 1...12 { _ = try await node.send("m\(index)", to: room, token: ada.token) }
            let received = Mutex<[ChatFrame]>([])
            try await TestSocket.connect(port: node.port, path: "/v1/chat/socket", headers: Self.header(ada.token)) { socket in
                try await socket.send(json: ["type": "subscribe", "room": room, "last_seq": 1, "ref": 1])
                let frames = try await socket.frames(until: Self.isAck(1))
                received.withLock { $0 = frames }
            }
            let frames = received.withLock { $0 }
            #expect(frames.count == 1)
            #expect(frames.last?["recovered"] as? Bool == false)
            #expect(frames.last?["seq"] as? Int == 12)
        }
    }

    /// Messages sent while a subscription is being set up are neither lost nor repeated.
    @Test(arguments: DatabaseEngine.allCases)
    func messagesDuringSubscriptionAreNeitherLostNorRepeated(engine: DatabaseEngine) async throws {
        try await ChatNode.with(engine: engine) { node in
            let ada = try await node.user("ada")
            let room = try await node.room("public", token: ada.token)
            let received = Mutex<[ChatFrame]>([])
            try await TestSocket.connect(port: node.port, path: "/v1/chat/socket", headers: Self.header(ada.token)) { socket in
                let sender = Task {
                    for index in 1...30 { _ = try await node.send("m\(index)", to: room, token: ada.token) }
                }
                try await socket.send(json: ["type": "subscribe", "room": room, "last_seq": 0, "ref": 1])
                try await sender.value
                let frames = try await socket.frames { frame in
                    frame.seq == 30
                }
                received.withLock { $0 = frames }
            }
            #expect(Self.seqs(received.withLock { $0 }) == Array(1...30))
        }
    }

    @Test func aRemovedMemberStopsReceivingAtOnce() async throws {
        try await ChatNode.with { node in
            let ada = try await node.user("ada")
            let bob = try await node.user("bob")
            let room = try await node.room("private", token: ada.token)
            _ = try await node.call("/v1/chat/rooms/\(room)/members", .post, ada.token, #"{"user":"\#(bob.id)"}"#)
            let after = Mutex<[ChatFrame]>([])
            try await TestSocket.connect(port: node.port, path: "/v1/chat/socket", headers: Self.header(bob.token)) { socket in
                try await socket.send(json: ["type": "subscribe", "room": room, "ref": 1])
                _ = try await socket.frames(until: Self.isAck(1))
                #expect(try await node.call("/v1/chat/rooms/\(room)/members/\(bob.id)", .delete, ada.token).status == .noContent)
                let gone = try await socket.frames { $0["type"] as? String == "unsubscribed" }
                #expect(gone.last?["reason"] as? String == "removed")
                _ = try await node.send("secret", to: room, token: ada.token)
                // A ping answered proves nothing else was queued for bob before it.
                try await socket.send(json: ["type": "ping", "ref": 9])
                let frames = try await socket.frames { $0["type"] as? String == "pong" }
                after.withLock { $0 = frames }
                try await socket.send(json: ["type": "subscribe", "room": room, "ref": 3])
                let refused = try await socket.frames { $0["type"] as? String == "error" }.last
                #expect((refused?["error"] as? [String: Any])?["status"] as? Int == 404)
                #expect(refused?["ref"] as? Int == 3)
            }
            #expect(after.withLock { $0 }.map { $0["type"] as? String } == ["pong"])
        }
    }

    @Test func editsDeletesReactionsTypingAndReceiptsArrive() async throws {
        try await ChatNode.with { node in
            let ada = try await node.user("ada")
            let bob = try await node.user("bob")
            let room = try await node.room("public", token: ada.token)
            _ = try await node.call("/v1/chat/rooms/\(room)/members", .post, bob.token, "{}")
            let message = try await node.send("hi", to: room, token: ada.token).decoded(ChatNode.MessageBody.self)
            let types = Mutex<[String]>([])
            try await TestSocket.connect(port: node.port, path: "/v1/chat/socket", headers: Self.header(bob.token)) { bobSocket in
                try await bobSocket.send(json: ["type": "subscribe", "room": room, "ref": 1])
                _ = try await bobSocket.frames(until: Self.isAck(1))
                try await TestSocket.connect(port: node.port, path: "/v1/chat/socket", headers: Self.header(ada.token)) { adaSocket in
                    for (ref, frame) in [
                        ["type": "edit", "room": room, "id": message.id, "text": "hello"],
                        ["type": "react", "room": room, "id": message.id, "emoji": "🎉"],
                        ["type": "typing", "room": room],
                        ["type": "read", "room": room, "seq": 1],
                        ["type": "delete", "room": room, "id": message.id],
                    ].enumerated() {
                        var frame = frame
                        frame["ref"] = ref + 10
                        try await adaSocket.send(json: frame)
                        if frame["type"] as? String != "typing" { _ = try await adaSocket.frames(until: Self.isAck(ref + 10)) }
                    }
                }
                let frames = try await bobSocket.frames { $0["type"] as? String == "deleted" }
                // Presence (bob's own arrival) is its own test.
                types.withLock { $0 = frames.compactMap { $0["type"] as? String }.filter { $0 != "presence" } }
            }
            #expect(types.withLock { $0 } == ["edited", "reaction", "typing", "receipt", "deleted"])
        }
    }

    @Test func badFramesAreAnsweredWithErrorsThatCarryTheirRef() async throws {
        try await ChatNode.with(configure: { $0.settings = Settings(["APUS_CHAT_SEND_RATE": "2"]) }) { node in
            let ada = try await node.user("ada")
            let room = try await node.room("public", token: ada.token)
            let errors = Mutex<[ChatFrame]>([])
            try await TestSocket.connect(port: node.port, path: "/v1/chat/socket", headers: Self.header(ada.token)) { socket in
                try await socket.send("not json")
                try await socket.send(json: ["type": "dance", "ref": "r1"])
                try await socket.send(json: ["type": "send", "room": room, "ref": "r2"])
                var frames: [ChatFrame] = []
                for _ in 0..<3 { if let frame = try await socket.nextFrame() { frames.append(frame) } }
                // Past the rate (2 a second, a burst of 4): refused with 429. Twenty, so that a
                // loaded machine that takes a while over each still outruns the refill.
                for index in 0..<20 { try await socket.send(json: ["type": "typing", "room": room, "ref": index]) }
                frames += try await socket.frames { $0.errorStatus == 429 }
                errors.withLock { $0 = frames }
            }
            let statuses = errors.withLock { $0 }.map { $0.errorStatus ?? 0 }
            #expect(Array(statuses.prefix(3)) == [400, 400, 422])
            #expect(statuses.last == 429)
            #expect(errors.withLock { $0 }[1]["ref"] as? String == "r1")
        }
    }

    /// A note the bus lost leaves a hole in the numbers; the next message fills it from storage.
    @Test(arguments: DatabaseEngine.allCases)
    func aLostNoteIsFilledFromStorage(engine: DatabaseEngine) async throws {
        try await ChatNode.with(engine: engine) { node in
            let ada = try await node.user("ada")
            let room = try await node.room("public", token: ada.token)
            let received = Mutex<[ChatFrame]>([])
            try await TestSocket.connect(port: node.port, path: "/v1/chat/socket", headers: Self.header(ada.token)) { socket in
                try await socket.send(json: ["type": "subscribe", "room": room, "ref": 1])
                _ = try await socket.frames(until: Self.isAck(1))
                // Stored, but its note never sent.
                try await node.server.platform.transaction { transaction in
                    let now = transaction.now()
                    let seq = try #require(try await RoomStore.nextSeq(room, at: now, on: transaction.sql))
                    try await MessageStore.insert(
                        Message(id: OpaqueID.make("msg", at: now), roomId: room, seq: seq, senderId: ada.id, text: "silent", createdAt: now),
                        on: transaction.sql
                    )
                }
                _ = try await node.send("loud", to: room, token: ada.token)
                let frames = try await socket.frames { $0.seq == 2 }
                received.withLock { $0 = frames }
            }
            let texts = received.withLock { $0 }.compactMap { ($0["message"] as? [String: Any])?["text"] as? String }
            #expect(texts == ["silent", "loud"])
        }
    }
}
