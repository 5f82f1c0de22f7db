@testable import ApusKit
import Crypto
import Testing

/// Both compression functions, the CPU's and the portable one, against the published vectors
/// and swift-crypto, and against each other through saved states.
@Suite struct SHA256EngineTests {
    static func hex(_ bytes: some Sequence<UInt8>) -> String { Array(bytes).hexEncoded }

    static func digest(_ message: [UInt8], engine: SHA256Engine, pieces: [Int] = []) -> String {
        var hasher = ResumableSHA256()
        hasher.engine = engine
        var index = 0
        for piece in pieces where index < message.count {
            let end = min(message.count, index + piece)
            hasher.update(Array(message[index..<end]))
            index = end
        }
        hasher.update(Array(message[index...]))
        return hasher.hexDigest()
    }

    @Test func thisMachineUsesTheSHAInstructionsWhenItHasThem() {
        #expect(SHA256Engine.preferred == (SHA256Engine.hardwareAvailable ? .hardware : .scalar))
        #expect(ResumableSHA256().engine == .preferred)
        #expect(SHA256Engine.available.contains(.scalar))
    }

    @Test(arguments: SHA256Engine.available)
    func matchesThePublishedVectors(engine: SHA256Engine) {
        let vectors = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
            ),
        ]
        for (message, expected) in vectors {
            #expect(Self.digest(Array(message.utf8), engine: engine) == expected, "\(message)")
        }
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Self.digest(million, engine: engine) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test(arguments: SHA256Engine.available)
    func randomLengthsInRandomPiecesMatchSwiftCrypto(engine: SHA256Engine) {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let length = Int.random(in: 0...5000, using: &generator)
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let pieces = (0..<Int.random(in: 0...6, using: &generator)).map { _ in Int.random(in: 0...700, using: &generator) }
            #expect(Self.digest(message, engine: engine, pieces: pieces) == Self.hex(SHA256.hash(data: message)), "length \(length), pieces \(pieces)")
        }
    }

    @Test func aStateSavedByOneEngineResumesOnTheOther() throws {
        let message = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        let expected = Self.hex(SHA256.hash(data: message))
        for cut in [0, 1, 63, 64, 65, 4096, 4097, 9999] {
            for (first, second) in [(SHA256Engine.scalar, SHA256Engine.preferred), (.preferred, .scalar)] {
                var hasher = ResumableSHA256()
                hasher.engine = first
                hasher.update(Array(message[..<cut]))
                var resumed = try #require(ResumableSHA256(saved: hasher.saved))
                resumed.engine = second
                resumed.update(Array(message[cut...]))
                #expect(resumed.hexDigest() == expected, "cut \(cut), \(first) then \(second)")
            }
        }
    }
}
