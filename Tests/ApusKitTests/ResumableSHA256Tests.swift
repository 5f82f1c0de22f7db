import ApusKit
import Testing

@Suite struct ResumableSHA256Tests {
    static func digest(_ text: String) -> String {
        var hasher = ResumableSHA256()
        hasher.update(Array(text.utf8))
        return hasher.hexDigest()
    }

    @Test func matchesThePublishedVectors() {
        // FIPS 180-4 examples and the NIST short-message vectors.
        #expect(Self.digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Self.digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            Self.digest("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        )
    }

    @Test func aMillionAsInUnevenPiecesMatchesTheVector() {
        var hasher = ResumableSHA256()
        var remaining = 1_000_000
        var size = 1
        while remaining > 0 {
            let piece = min(size, remaining)
            hasher.update([UInt8](repeating: UInt8(ascii: "a"), count: piece))
            remaining -= piece
            size = size * 3 % 997 + 1
        }
        #expect(hasher.byteCount == 1_000_000)
        #expect(hasher.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func aSavedStateResumesToTheSameDigestAtEveryCut() throws {
        let message = Array("The quick brown fox jumps over the lazy dog, again and again, past every block edge.".utf8) + [UInt8](repeating: 7, count: 150)
        var whole = ResumableSHA256()
        whole.update(message)
        for cut in 0...message.count {
            var first = ResumableSHA256()
            first.update(Array(message[..<cut]))
            var resumed = try #require(ResumableSHA256(saved: first.saved))
            #expect(resumed == first)
            resumed.update(Array(message[cut...]))
            #expect(resumed.hexDigest() == whole.hexDigest(), "cut at \(cut)")
        }
    }

    @Test func aDamagedStateIsRefused() {
        var hasher = ResumableSHA256()
        hasher.update(Array("abc".utf8))
        let saved = hasher.saved
        #expect(ResumableSHA256(saved: Array(saved.dropLast())) == nil)
        #expect(ResumableSHA256(saved: []) == nil)
        #expect(ResumableSHA256(saved: saved + [UInt8](repeating: 0, count: 70)) == nil)
    }
}
