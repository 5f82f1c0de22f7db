import ApusKit
import PropertyBased
import Testing

@Suite struct Base62Tests {
    @Test func encodesKnownValues() {
        #expect(Base62.encode(0) == "0")
        #expect(Base62.encode(61) == "z")
        #expect(Base62.encode(62) == "10")
        #expect(Base62.encode(UInt64.max) == "LygHa16AHYF")
    }

    @Test func refusesForeignSymbolsEmptyAndOverflow() {
        #expect(Base62.decode("") == nil)
        #expect(Base62.decode("ab-c") == nil)
        #expect(Base62.decode("é") == nil)
        #expect(Base62.decode("LygHa16AHYG") == nil)
    }

    @Test func decodingInvertsEncoding() async {
        await propertyCheck(count: 500, input: Gen.uint64()) { value in
            #expect(Base62.decode(Base62.encode(value)) == value)
        }
    }

    @Test func encodingPreservesOrderForEqualLengths() async {
        await propertyCheck(count: 300, input: Gen.uint64(in: 62 * 62 ... 62 * 62 * 62 - 2)) { value in
            #expect(Base62.encode(value) < Base62.encode(value + 1))
        }
    }
}
