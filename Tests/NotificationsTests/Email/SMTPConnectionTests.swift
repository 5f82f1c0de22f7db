import NIOPosix
@testable import Notifications
import Testing

@Suite struct SMTPConnectionTests {
    @Test func theLinesOfAMultiLineReplyAreGatheredIntoOneReply() async throws {
        let replies = try await read(2, from: "220-mail.example.com ESMTP\r\n220-no UCE\r\n220 ready\r\n250 OK\r\n")
        #expect(replies == [
            .success(SMTPReply(code: 220, lines: ["mail.example.com ESMTP", "no UCE", "ready"])),
            .success(SMTPReply(code: 250, lines: ["OK"])),
        ])
    }

    @Test func aReplyWhoseLinesChangeCodeIsMalformed() async throws {
        let replies = try await read(1, from: "250-first\r\n251 second\r\n")
        #expect(replies == [.failure(.malformedReply(during: .greeting, line: "251 second"))])
    }

    @Test func aLineThatIsNotAReplyLineIsMalformed() async throws {
        let replies = try await read(1, from: "hello there\r\n")
        #expect(replies == [.failure(.malformedReply(during: .greeting, line: "hello there"))])
    }

    @Test func aReplyOfMoreThanAHundredLinesIsRefused() async throws {
        let replies = try await read(1, from: String(repeating: "250-more\r\n", count: 100) + "250 end\r\n")
        #expect(replies == [.failure(.malformedReply(during: .greeting, line: "more than 100 reply lines"))])
        let hundred = try await read(1, from: String(repeating: "250-more\r\n", count: 99) + "250 end\r\n")
        #expect(hundred == [.success(SMTPReply(code: 250, lines: Array(repeating: "more", count: 99) + ["end"]))])
    }

    @Test func anOverlongLineIsAMalformedReply() async throws {
        let replies = try await read(1, from: "220 " + String(repeating: "x", count: 9000) + "\r\n")
        #expect(replies == [.failure(.malformedReply(during: .greeting, line: "reply line longer than 8192 bytes"))])
    }

    @Test func aServerThatHangsUpInTheMiddleOfAReplyLosesTheConnection() async throws {
        let replies = try await read(1, from: "220-first line\r\n", hangUp: true)
        #expect(replies == [.failure(.connectionLost(during: .greeting, reason: "the server closed the connection"))])
    }

    /// Connects to a server that sends `script` and reads `count` replies, stopping at the
    /// first failure.
    private func read(_ count: Int, from script: String, hangUp: Bool = false) async throws -> [Result<SMTPReply, SMTPError>] {
        let server = try await ScriptedSMTPServer.start(sending: script, hangUp: hangUp)
        let connection = try await SMTPConnection.connect(
            to: SMTPProvider(host: "127.0.0.1", port: server.port),
            on: MultiThreadedEventLoopGroup.singleton,
            connectTimeout: .seconds(5),
            tlsContext: nil
        )
        var replies: [Result<SMTPReply, SMTPError>] = []
        for _ in 0..<count {
            do {
                replies.append(.success(try await connection.readReply(during: .greeting)))
            } catch {
                replies.append(.failure(error))
                break
            }
        }
        await connection.close()
        await server.stop()
        return replies
    }
}
