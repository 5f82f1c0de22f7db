import NIOCore
import NIOEmbedded
import NIOTLS
@testable import Notifications
import Testing

@Suite struct SMTPLineDecoderTests {
    @Test func linesEndAtCRLFOrABareLFAndLoseTheirLineBreak() throws {
        #expect(try lines(["250-first\r\n250-second\n250 third\r\n"]) == ["250-first", "250-second", "250 third"])
    }

    @Test func aLineSplitAcrossReadsComesOutWhole() throws {
        #expect(try lines(["25", "0-mail.example.com\r", "\n250-SIZE 10", "00\r\n250 OK\r", "\n"])
            == ["250-mail.example.com", "250-SIZE 1000", "250 OK"])
    }

    @Test func aCarriageReturnInsideALineIsKept() throws {
        #expect(try lines(["250 a\rb\r\n"]) == ["250 a\rb"])
    }

    @Test func anEmptyLineIsALine() throws {
        #expect(try lines(["\r\n\n250 OK\r\n"]) == ["", "", "250 OK"])
    }

    @Test func nothingComesOutUntilTheLineBreakArrives() throws {
        #expect(try lines(["250 waiting for the end"]).isEmpty)
    }

    @Test func aLineUpToTheLimitPassesAndALongerOneFails() throws {
        let limit = 16
        #expect(try lines([String(repeating: "a", count: limit) + "\n"], maximumLineLength: limit).count == 1)
        // With CRLF the CR counts toward the limit.
        #expect(throws: SMTPLineTooLong.self) {
            try lines([String(repeating: "a", count: limit) + "\r\n"], maximumLineLength: limit)
        }
        #expect(throws: SMTPLineTooLong.self) {
            try lines([String(repeating: "a", count: limit + 1) + "\n"], maximumLineLength: limit)
        }
    }

    @Test func aLineThatNeverEndsFailsOnceItPassesTheLimit() throws {
        let channel = decoder(maximumLineLength: 16)
        try channel.writeInbound(ByteBuffer(string: String(repeating: "a", count: 16)))
        #expect(throws: SMTPLineTooLong.self) {
            try channel.writeInbound(ByteBuffer(string: "a"))
        }
        #expect(SMTPLineTooLong(limit: 16).description == "reply line longer than 16 bytes")
    }

    @Test func atCloseTheCompleteLinesArriveAndAPartialOneIsDropped() async throws {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SMTPInbound.self, throwing: (any Error).self)
        let channel = try forwarder(continuation)
        try channel.writeInbound(ByteBuffer(string: "220-one\r\n220 two\r\n250 never fini"))
        try await channel.close()
        var received: [SMTPInbound] = []
        for try await inbound in stream { received.append(inbound) }
        #expect(received == [.line("220-one"), .line("220 two")])
    }

    @Test func theForwarderReportsACompletedTLSHandshake() async throws {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SMTPInbound.self, throwing: (any Error).self)
        let channel = try forwarder(continuation)
        try channel.writeInbound(ByteBuffer(string: "220 ready\r\n"))
        channel.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
        try channel.writeInbound(ByteBuffer(string: "250 secure\r\n"))
        try await channel.close()
        var received: [SMTPInbound] = []
        for try await inbound in stream { received.append(inbound) }
        #expect(received == [.line("220 ready"), .tlsEstablished, .line("250 secure")])
    }

    @Test func aServerThatFloodsLinesIsCutOff() async throws {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: SMTPInbound.self, throwing: (any Error).self, bufferingPolicy: .bufferingOldest(3)
        )
        let channel = try forwarder(continuation)
        try channel.writeInbound(ByteBuffer(string: String(repeating: "250-flood\r\n", count: 5)))
        #expect(!channel.isActive)
        var received: [SMTPInbound] = []
        await #expect(throws: SMTPLineFlood.self) {
            for try await inbound in stream { received.append(inbound) }
        }
        #expect(received == Array(repeating: .line("250-flood"), count: 3))
    }

    @Test func aFailedChannelEndsTheStreamWithItsError() async throws {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SMTPInbound.self, throwing: (any Error).self)
        let channel = try forwarder(continuation)
        // The forwarder takes the error and closes; the channel itself has nothing to report.
        try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: 9000)))
        #expect(!channel.isActive)
        await #expect(throws: SMTPLineTooLong.self) {
            for try await _ in stream {}
        }
    }

    // MARK: Helpers

    /// The lines a decoder emits when the chunks arrive as separate reads.
    private func lines(_ chunks: [String], maximumLineLength: Int = 8192) throws -> [String] {
        let channel = decoder(maximumLineLength: maximumLineLength)
        for chunk in chunks {
            try channel.writeInbound(ByteBuffer(string: chunk))
        }
        var lines: [String] = []
        while let line = try channel.readInbound(as: String.self) {
            lines.append(line)
        }
        return lines
    }

    private func decoder(maximumLineLength: Int) -> EmbeddedChannel {
        EmbeddedChannel(handler: ByteToMessageHandler(SMTPLineDecoder(maximumLineLength: maximumLineLength)))
    }

    /// A channel that decodes lines and forwards them into `continuation`, as a connection's does.
    private func forwarder(_ continuation: AsyncThrowingStream<SMTPInbound, any Error>.Continuation) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
        try channel.pipeline.syncOperations.addHandler(SMTPLineForwarder(continuation: continuation))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).wait()
        return channel
    }
}
