import ApusCore
import ApusTesting
@testable import Chat
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// A node running chat, with helpers that speak its REST API.
struct ChatNode: Sendable {
    let server: ApusServer
    let client: any TestClientProtocol

    static func with(
        engine: DatabaseEngine = .sqlite, configure: @escaping @Sendable (inout ApusConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (ChatNode) async throws -> Void
    ) async throws {
        try await TestServer.withNode(engine: engine, modules: [ChatModule()], live: true, configure: configure) { server, client in
            try await body(ChatNode(server: server, client: client))
        }
    }

    var port: Int { client.port ?? 0 }

    /// Signs a user up and in: their id and access token.
    func user(_ name: String) async throws -> (id: String, token: String) {
        let tokens = try await client.signedIn("\(name)@example.com", server: server)
        let user = try #require(try await server.identity.users.find(email: "\(name)@example.com"))
        return (user.id, tokens.accessToken)
    }

    func call(_ uri: String, _ method: HTTPRequest.Method, _ token: String, _ body: String? = nil) async throws -> TestResponse {
        try await client.json(uri, method, token: token, body: body)
    }

    func room(_ kind: String, name: String = "general", token: String) async throws -> String {
        let response = try await call("/v1/chat/rooms", .post, token, #"{"kind":"\#(kind)","name":"\#(name)"}"#)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        return try response.decoded(RoomBody.self).id
    }

    func send(_ text: String, to room: String, token: String, clientID: String? = nil) async throws -> TestResponse {
        let client = clientID.map { #","client_id":"\#($0)""# } ?? ""
        return try await call("/v1/chat/rooms/\(room)/messages", .post, token, #"{"text":"\#(text)"\#(client)}"#)
    }

    struct RoomBody: Decodable { let id: String; let kind: String; let seq: Int64 }
    struct MessageBody: Decodable, Equatable {
        let id: String
        let seq: Int64
        let text: String
        let senderId: String
        let deletedAt: String?
        let editedAt: String?
        let reactions: [String: [String]]?
    }
    struct MessagePage: Decodable { let items: [MessageBody]; let nextCursor: String? }
}

/// A frame the server sent, kept as its text (Sendable) and read as a JSON object.
struct ChatFrame: Sendable {
    let text: String

    var object: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]) ?? [:] }

    subscript(key: String) -> Any? { object[key] }

    var type: String? { object["type"] as? String }
    /// The message of a `message` frame.
    var message: [String: Any]? { type == "message" ? object["message"] as? [String: Any] : nil }
    var seq: Int? { message?["seq"] as? Int }
    var errorStatus: Int? { (object["error"] as? [String: Any])?["status"] as? Int }
}

extension TestSocket {
    /// Frames until one satisfies `done`; all of them, in order.
    func frames(until done: (ChatFrame) -> Bool) async throws -> [ChatFrame] {
        var all: [ChatFrame] = []
        while let text = try await next() {
            let frame = ChatFrame(text: text)
            all.append(frame)
            if done(frame) { return all }
        }
        return all
    }

    func nextFrame() async throws -> ChatFrame? {
        try await next().map(ChatFrame.init)
    }
}
