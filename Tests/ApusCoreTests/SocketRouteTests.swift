@_spi(Platform) @testable import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import Synchronization
import WSClient

/// A module with WebSocket routes and nothing else: the platform's socket seam, tested without
/// any product module.
struct EchoSocketModule: Module {
    let name = "echo"

    func start(_ platform: Platform) throws -> ModuleParts {
        ModuleParts(sockets: [
            // Echoes text frames, prefixed with the caller's user id.
            SocketRoute("/v1/echo/socket") { inbound, socket in
                for try await message in inbound {
                    if case .text(let text) = message { socket.send("\(socket.principal?.userID ?? "nobody"):\(text)") }
                }
            },
            // Authenticates in its own protocol: the first text frame is the token.
            SocketRoute("/v1/echo/own", authentication: .byHandler) { inbound, socket in
                for try await message in inbound {
                    guard case .text(let text) = message else { continue }
                    if socket.principal == nil {
                        socket.send(await socket.authenticate(token: text) == nil ? "denied" : "welcome")
                    } else {
                        socket.send(text)
                    }
                }
            },
            // Tells the caller what the upgrade request carried.
            SocketRoute("/v1/echo/request") { inbound, socket in
                socket.send("\(socket.principal?.userID ?? "nobody")|\(socket.upgrade.path)|\(socket.upgrade.query)|\(socket.upgrade.headers[HTTPField.Name("X-Echo")!] ?? "")")
                for try await _ in inbound {}
            },
            // Told "bye", closes with 4000 from elsewhere a moment later (as a revocation or a
            // stopping node does) while the handler waits for the next message.
            SocketRoute("/v1/echo/close") { inbound, socket in
                for try await message in inbound where message == .text("bye") {
                    Task {
                        try await Task.sleep(for: .milliseconds(100))
                        socket.close(4000, reason: "bye")
                    }
                }
                socket.send("not sent: the socket is closing")
            },
            // Sends without end, faster than any client reads.
            SocketRoute("/v1/echo/flood") { inbound, socket in
                var sent = 0
                while socket.send(String(repeating: "x", count: 1000) + "\(sent)") {
                    sent += 1
                    if sent % 64 == 0 { await Task.yield() }
                }
                for try await _ in inbound {}
            },
        ])
    }
}

@Suite struct SocketRouteTests {
    static func withEcho(
        engine: DatabaseEngine = .sqlite, configure: @escaping @Sendable (inout ApusConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (ApusServer, any TestClientProtocol, Int) async throws -> Void
    ) async throws {
        try await TestServer.withNode(engine: engine, modules: [EchoSocketModule()], live: true, configure: configure) { server, client in
            try await body(server, client, try #require(client.port))
        }
    }

    @Test func aTokenOfferedAsSubprotocolAuthenticatesTheUpgrade() async throws {
        try await Self.withEcho { server, client, port in
            let tokens = try await client.signedIn("ada@example.com", server: server)
            let user = try #require(try await server.identity.users.find(email: "ada@example.com"))
            let echoed = Mutex<String?>(nil)
            try await TestSocket.connect(port: port, path: "/v1/echo/socket", headers: [.secWebSocketProtocol: "apus, bearer.\(tokens.accessToken)"]) { socket in
                try await socket.send("hello")
                let frame = try await socket.next()
                echoed.withLock { $0 = frame }
            }
            #expect(echoed.withLock { $0 } == "\(user.id):hello")
        }
    }

    @Test func serverSideClientsAuthenticateWithTheirAuthorizationHeaderAndHandlersReadTheRequest() async throws {
        struct Created: Decodable { let key: String }
        try await Self.withEcho { server, client, port in
            let tokens = try await client.signedIn("ada@example.com", server: server)
            let user = try #require(try await server.identity.users.find(email: "ada@example.com"))
            let key = try await client.json("/v1/api-keys", .post, token: tokens.accessToken, body: #"{"name":"tail","scopes":["account.self"]}"#).decoded(Created.self).key
            let basic = "Basic " + Data("any:\(key)".utf8).base64EncodedString()
            for authorization in ["Bearer \(tokens.accessToken)", basic] {
                let seen = Mutex<String?>(nil)
                try await TestSocket.connect(
                    port: port, path: "/v1/echo/request?query=%7Bapp%3D%22x%22%7D&limit=5",
                    headers: [.authorization: authorization, HTTPField.Name("X-Echo")!: "tenant-1"]
                ) { socket in
                    let frame = try await socket.next()
                    seen.withLock { $0 = frame }
                }
                #expect(seen.withLock { $0 } == "\(user.id)|/v1/echo/request|query=%7Bapp%3D%22x%22%7D&limit=5|tenant-1", "\(authorization.prefix(6))")
            }
            // A bad header, an access token as a Basic password, an unknown scheme: 4401.
            for authorization in ["Bearer nope", "Basic " + Data("any:\(tokens.accessToken)".utf8).base64EncodedString(), "Digest x"] {
                let close = try await TestSocket.connect(port: port, path: "/v1/echo/request", headers: [.authorization: authorization]) { socket in
                    let frames = try await socket.drain()
                    #expect(frames.isEmpty)
                }
                #expect(close?.closeCode == .init(codeNumber: 4401), "\(authorization.prefix(6))")
            }
        }
    }

    @Test func aBadTokenOfferedAsSubprotocolCloses4401AndAPlainGetIsA426() async throws {
        try await Self.withEcho { server, client, port in
            let tokens = try await client.signedIn("ada@example.com", server: server)
            let close = try await TestSocket.connect(port: port, path: "/v1/echo/socket", headers: [.secWebSocketProtocol: "apus, bearer.not-a-token"]) { socket in
                let frames = try await socket.drain()
                #expect(frames.isEmpty)
            }
            #expect(close?.closeCode == .init(codeNumber: 4401))
            #expect(try await client.execute(uri: "/v1/echo/socket", method: .get).status == .unauthorized)
            let plain = try await client.json("/v1/echo/socket", .get, token: tokens.accessToken)
            #expect(plain.status == .upgradeRequired)
            #expect(plain.headers[.upgrade] == "websocket")
            #expect(plain.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func anAuthFrameAuthenticatesAndIsAcknowledgedWithItsRef() async throws {
        try await Self.withEcho { server, client, port in
            let tokens = try await client.signedIn("ada@example.com", server: server)
            let user = try #require(try await server.identity.users.find(email: "ada@example.com"))
            let frames = Mutex<[String]>([])
            try await TestSocket.connect(port: port, path: "/v1/echo/socket") { socket in
                try await socket.send(json: ["type": "auth", "token": tokens.accessToken, "ref": 7])
                let ack = try #require(try await socket.next())
                try await socket.send("hello")
                let echo = try #require(try await socket.next())
                frames.withLock { $0 = [ack, echo] }
            }
            let ack = try JSONSerialization.jsonObject(with: Data(frames.withLock { $0 }[0].utf8)) as? [String: Any]
            #expect(ack?["type"] as? String == "ack")
            #expect(ack?["ref"] as? Int == 7)
            #expect(ack?["user_id"] as? String == user.id)
            #expect(frames.withLock { $0 }[1] == "\(user.id):hello")
        }
    }

    @Test func noAuthFrameInTimeCloses4401() async throws {
        try await Self.withEcho(configure: { $0.sockets.authTimeout = 0.2 }) { _, _, port in
            let close = try await TestSocket.connect(port: port, path: "/v1/echo/socket") { socket in
                let frames = try await socket.drain()
                #expect(frames.isEmpty)
            }
            #expect(close?.closeCode == .init(codeNumber: 4401))
        }
    }

    @Test func aWrongFirstFrameOrABadTokenCloses4401() async throws {
        try await Self.withEcho { _, _, port in
            let notAuth = try await TestSocket.connect(port: port, path: "/v1/echo/socket") { socket in
                try await socket.send("hello")
                let frames = try await socket.drain()
                #expect(frames.isEmpty)
            }
            #expect(notAuth?.closeCode == .init(codeNumber: 4401))
            let badToken = try await TestSocket.connect(port: port, path: "/v1/echo/socket") { socket in
                try await socket.send(json: ["type": "auth", "token": "apus_not-a-key"])
                let frames = try await socket.drain()
                #expect(frames.isEmpty)
            }
            #expect(badToken?.closeCode == .init(codeNumber: 4401))
        }
    }

    @Test func aRouteMayAuthenticateInItsOwnProtocol() async throws {
        try await Self.withEcho { server, client, port in
            let tokens = try await client.signedIn("ada@example.com", server: server)
            let frames = Mutex<[String]>([])
            try await TestSocket.connect(port: port, path: "/v1/echo/own") { socket in
                try await socket.send("wrong")
                let denied = try #require(try await socket.next())
                try await socket.send(tokens.accessToken)
                let welcome = try #require(try await socket.next())
                try await socket.send("ping")
                let echo = try #require(try await socket.next())
                frames.withLock { $0 = [denied, welcome, echo] }
            }
            #expect(frames.withLock { $0 } == ["denied", "welcome", "ping"])
        }
    }

    @Test func aMessagePastTheLimitCloses1009() async throws {
        try await Self.withEcho(configure: { $0.sockets.maxMessageBytes = 1024 }) { server, client, port in
            let tokens = try await client.signedIn("ada@example.com", server: server)
            let close = try await TestSocket.connect(port: port, path: "/v1/echo/socket", headers: [.secWebSocketProtocol: "bearer.\(tokens.accessToken)"]) { socket in
                try await socket.send(String(repeating: "x", count: 4096))
                _ = try? await socket.drain()
            }
            #expect(close?.closeCode == .messageTooLarge)
        }
    }

    @Test func aClientThatFallsBehindItsQueueIsClosed1008AndCounted() async throws {
        try await Self.withEcho(configure: { $0.sockets.queueLimit = 16 }) { server, client, port in
            let tokens = try await client.signedIn("ada@example.com", server: server)
            let close = try await TestSocket.connect(port: port, path: "/v1/echo/flood", headers: [.secWebSocketProtocol: "bearer.\(tokens.accessToken)"]) { socket in
                // Reading nothing for a while fills the connection whatever the machine's speed:
                // a client that reads as fast as the node writes may never fall behind.
                try await Task.sleep(for: .seconds(1))
                _ = try? await socket.drain()
            }
            #expect(close?.closeCode == .policyViolation)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(String(buffer: metrics.body).contains("apus_sockets_slow_consumer_disconnects_total 1"))
        }
    }

    @Test func aUserHoldsAtMostTheirShareOfSockets() async throws {
        try await Self.withEcho(configure: { $0.sockets.perUser = 1 }) { server, client, port in
            let tokens = try await client.signedIn("ada@example.com", server: server)
            let header: HTTPFields = [.secWebSocketProtocol: "bearer.\(tokens.accessToken)"]
            let second = Mutex<WebSocketCloseFrame?>(nil)
            try await TestSocket.connect(port: port, path: "/v1/echo/socket", headers: header) { socket in
                try await socket.send("first")
                _ = try await socket.next()
                let close = try await TestSocket.connect(port: port, path: "/v1/echo/socket", headers: header) { other in
                    let frames = try await other.drain()
                #expect(frames.isEmpty)
                }
                second.withLock { $0 = close }
                try await socket.send("still here")
                #expect(try await socket.next()?.hasSuffix("still here") == true)
            }
            #expect(second.withLock { $0 }?.closeCode == .init(codeNumber: 4429))
        }
    }

    /// A logout on one node closes the session's sockets on the other, at once.
    @Test(arguments: DatabaseEngine.allCases)
    func aLogoutElsewhereClosesTheSocket4403(engine: DatabaseEngine) async throws {
        try await TestServer.withTwoServers(engine: engine, modules: [EchoSocketModule()]) { first, second in
            let (server, a) = first
            let (_, b) = second
            let tokens = try await a.signedIn("ada@example.com", server: server)
            let port = try #require(a.port)
            let close = try await TestSocket.connect(port: port, path: "/v1/echo/socket", headers: [.secWebSocketProtocol: "bearer.\(tokens.accessToken)"]) { socket in
                try await socket.send("hello")
                _ = try await socket.next()
                let logout = try await b.json("/v1/auth/logout", .post, token: tokens.accessToken)
                #expect(logout.status == .noContent)
                let frames = try await socket.drain()
                #expect(frames.isEmpty)
            }
            #expect(close?.closeCode == .init(codeNumber: 4403))
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func disablingAUserClosesTheirSockets4403(engine: DatabaseEngine) async throws {
        try await Self.withEcho(engine: engine) { server, client, port in
            let tokens = try await client.signedIn("ada@example.com", server: server)
            let user = try #require(try await server.identity.users.find(email: "ada@example.com"))
            let close = try await TestSocket.connect(port: port, path: "/v1/echo/socket") { socket in
                try await socket.send(json: ["type": "auth", "token": tokens.accessToken])
                _ = try await socket.next()
                _ = try await server.identity.updateUser(id: user.id, roles: nil, disabled: true)
                let frames = try await socket.drain()
                #expect(frames.isEmpty)
            }
            #expect(close?.closeCode == .init(codeNumber: 4403))
        }
    }

    /// A socket is quiet for long stretches: the HTTP idle timeout must not cut it.
    @Test func aQuietSocketOutlivesTheHTTPIdleTimeout() async throws {
        try await Self.withEcho(configure: { $0.httpIdleTimeout = 2 }) { server, client, port in
            let tokens = try await client.signedIn("ada@example.com", server: server)
            let echoed = Mutex<String?>(nil)
            try await TestSocket.connect(port: port, path: "/v1/echo/socket", headers: [.secWebSocketProtocol: "bearer.\(tokens.accessToken)"]) { socket in
                try await Task.sleep(for: .milliseconds(3_000))
                try await socket.send("still here")
                let frame = try await socket.next()
                echoed.withLock { $0 = frame }
            }
            #expect(echoed.withLock { $0 }?.hasSuffix(":still here") == true)
        }
    }

    /// The upgrade request of a raw TCP peer, for tests that need a client no library would be.
    static func upgradeRequest(_ path: String, token: String) -> ByteBuffer {
        ByteBuffer(string: [
            "GET \(path) HTTP/1.1", "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: bearer.\(token)", "", "",
        ].joined(separator: "\r\n"))
    }

    /// The platform pings every socket: a peer that answers (any client library does) stays
    /// open however quiet; one that sends nothing is sent a close and cut off.
    @Test func aPeerThatAnswersPingsStaysAndOneThatSendsNothingIsClosed() async throws {
        // Two seconds between pings: a machine loaded by the whole suite has held a pong up for
        // over a second, which a one-second interval took for a dead peer.
        try await Self.withEcho(configure: { $0.sockets.pingInterval = 2 }) { server, client, port in
            let tokens = try await client.signedIn("ada@example.com", server: server)
            let echoed = Mutex<String?>(nil)
            try await TestSocket.connect(port: port, path: "/v1/echo/socket", headers: [.secWebSocketProtocol: "bearer.\(tokens.accessToken)"]) { socket in
                try await Task.sleep(for: .milliseconds(5_000))
                try await socket.send("still here")
                let frame = try await socket.next()
                echoed.withLock { $0 = frame }
            }
            #expect(echoed.withLock { $0 }?.hasSuffix(":still here") == true)

            // A peer that upgrades and then never says anything, not even a pong.
            let started = ContinuousClock.now
            let silent = try await TCPListenerTests.connect(port)
            let bytes = try await silent.executeThenClose { inbound, outbound in
                try await outbound.write(Self.upgradeRequest("/v1/echo/socket", token: tokens.accessToken))
                var bytes: [UInt8] = []
                for try await buffer in inbound { bytes += Array(buffer.readableBytesView) }
                return bytes
            }
            let elapsed = started.duration(to: .now)
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 101"))
            let frames = Array(bytes.suffix(6))
            #expect(frames == [0x89, 0x00, 0x88, 0x02, 0x03, 0xE9], "a ping, then a close with 1001: \(frames)")
            // Pinged after one interval, cut off after the next.
            #expect(elapsed >= .milliseconds(3_900) && elapsed < .seconds(15), "\(elapsed)")
        }
    }

    /// A close asked for from elsewhere while the handler waits in its read goes out from a
    /// task made for it (no task waits beside the reader for the socket's whole life), nothing
    /// the handler sends after it goes out, and the connection ends though the peer never
    /// answers the close (at the latest after the close timeout).
    @Test func aCloseFromElsewhereReachesAPeerThatNeverAnswersAndEndsTheConnection() async throws {
        try await Self.withEcho { server, client, port in
            let tokens = try await client.signedIn("ada@example.com", server: server)
            let started = ContinuousClock.now
            let peer = try await TCPListenerTests.connect(port)
            let bytes = try await peer.executeThenClose { inbound, outbound in
                try await outbound.write(Self.upgradeRequest("/v1/echo/close", token: tokens.accessToken))
                // "bye", masked with a zero key as a client must mask, then silence.
                try await outbound.write(ByteBuffer(bytes: [0x81, 0x83, 0, 0, 0, 0] + Array("bye".utf8)))
                var bytes: [UInt8] = []
                for try await buffer in inbound { bytes += Array(buffer.readableBytesView) }
                return bytes
            }
            let elapsed = started.duration(to: .now)
            #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 101"))
            #expect(Array(bytes.suffix(7)) == [0x88, 0x05, 0x0F, 0xA0] + Array("bye".utf8), "a close with 4000 and nothing after it")
            #expect(elapsed >= .milliseconds(100) && elapsed < SocketCloser.closeTimeout + .seconds(2), "\(elapsed)")
        }
    }

    @Test func settingsAreReadAndChecked() throws {
        let settings = try SocketSettings(environment: ["APUS_SOCKETS_PER_USER": "3", "APUS_SOCKET_AUTH_TIMEOUT": "2.5"])
        #expect(settings.perUser == 3)
        #expect(settings.authTimeout == 2.5)
        #expect(throws: ConfigurationError.self) { try SocketSettings(environment: ["APUS_SOCKET_QUEUE": "0"]) }
    }
}
