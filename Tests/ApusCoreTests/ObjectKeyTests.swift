import ApusCore
import Testing

/// Object keys are made by the server; nothing a client sends can name a path outside the store.
@Suite struct ObjectKeyTests {
    @Test func keysAreServerMadeSegmentsAndNothingElse() {
        #expect(ObjectKey("uploads/upl_0mj2x1k3a9") != nil)
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a/./b", "a//b", "a/", ".hidden", "a b", "a\\b", "a/b%2e", String(repeating: "a", count: 101)] {
            #expect(ObjectKey(bad) == nil, "\(bad)")
        }
        let made = ObjectKey.generate(under: "media")
        #expect(made.path.hasPrefix("media/") && made.path.count == "media/".count + 24)
        #expect(made != ObjectKey.generate(under: "media"))
    }
}
