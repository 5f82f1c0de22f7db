import AsyncHTTPClient
import Foundation
import NIOCore

/// The accounts and rooms a run uses: signed up and joined through Apus's API, or, for a
/// server without accounts, room names and a placeholder token.
struct Setup: Sendable {
    var tokens: [String]
    var rooms: [String]

    static func make(_ target: TargetOptions) async throws -> Setup {
        if target.plain {
            return Setup(tokens: ["bench"], rooms: (0..<target.rooms).map { "bench-\($0)" })
        }
        let api = API(base: target.base)
        let run = UInt32.random(in: 0...UInt32.max)
        let tokens = try await concurrently(target.accountCount, width: 16) { index in
            let email = "load-\(run)-\(index)@example.com"
            try await api.post("/v1/auth/register", ["email": email, "password": "load test password"], expect: 201)
            let login = try await api.post("/v1/auth/login", ["email": email, "password": "load test password"], expect: 200)
            return login["access_token"] as! String
        }
        let rooms = try await concurrently(target.rooms, width: 4) { index in
            let room = try await api.post("/v1/chat/rooms", ["kind": "public", "name": "load \(index)"], token: tokens[0], expect: 201)
            return room["id"] as! String
        }
        // Every account joins every room: a socket's room follows from its index, not its account.
        _ = try await concurrently(tokens.count * rooms.count, width: 16) { index in
            let (user, room) = index.quotientAndRemainder(dividingBy: rooms.count)
            if user == 0 { return 0 }
            try await api.post("/v1/chat/rooms/\(rooms[room])/members", [:], token: tokens[user], expect: 200)
            return 0
        }
        return Setup(tokens: tokens, rooms: rooms)
    }

    /// Socket `index`'s room, with rooms of equal size holding consecutive sockets.
    func room(of index: Int, sockets: Int) -> String {
        rooms[index * rooms.count / sockets]
    }

    /// Socket `index`'s token: consecutive sockets belong to different accounts.
    func token(of index: Int) -> String { tokens[index % tokens.count] }
}

/// Apus's JSON API, enough to sign up and make rooms.
struct API: Sendable {
    let base: String

    @discardableResult
    func post(_ path: String, _ body: [String: String], token: String? = nil, expect status: Int) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 1 << 20)
        guard Int(response.status.code) == status else {
            throw LoadError("POST \(path) answered \(response.status.code): \(String(buffer: data))")
        }
        return (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any]) ?? [:]
    }
}

struct LoadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `body(0..<count)`, at most `width` at a time, results in index order.
func concurrently<T: Sendable>(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
    try await withThrowingTaskGroup(of: (Int, T).self) { group in
        var results = [T?](repeating: nil, count: count)
        var next = 0
        while next < min(width, count) {
            let index = next
            group.addTask { (index, try await body(index)) }
            next += 1
        }
        while let (index, value) = try await group.next() {
            results[index] = value
            if next < count {
                let index = next
                group.addTask { (index, try await body(index)) }
                next += 1
            }
        }
        return results.map { $0! }
    }
}
