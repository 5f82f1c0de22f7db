import ApusKit
import PropertyBased
import Testing

@Suite struct OrderedMapTests {
    @Test func keepsKeysInOrderAndFindsNeighbours() throws {
        var map = OrderedMap<Int, String>()
        for key in [50, 20, 80, 10, 30, 70, 90] { map[key] = "v\(key)" }
        try map.validate()
        #expect(map.map(\.key) == [10, 20, 30, 50, 70, 80, 90])
        #expect(map[30] == "v30")
        #expect(map[31] == nil)
        #expect(map.floor(31)?.key == 30)
        #expect(map.floor(30)?.key == 30)
        #expect(map.floor(9) == nil)
        #expect(map.ceiling(31)?.key == 50)
        #expect(map.ceiling(91) == nil)
        #expect(map.first?.key == 10)
        #expect(map.last?.key == 90)
        #expect(map.elements(in: 20..<70).map(\.key) == [20, 30, 50])
        #expect(map.elements(in: 20...70).map(\.key) == [20, 30, 50, 70])
        #expect(map.elements(in: 75...).map(\.key) == [80, 90])
        #expect(map.elements(in: ..<20).map(\.key) == [10])
        #expect(map.elements(in: ...20).map(\.key) == [10, 20])
    }

    @Test func replacingAndRemovingReportTheOldValue() throws {
        var map = OrderedMap<String, Int>()
        #expect(map.updateValue(1, forKey: "a") == nil)
        #expect(map.updateValue(2, forKey: "a") == 1)
        #expect(map.count == 1)
        #expect(map.removeValue(forKey: "b") == nil)
        #expect(map.removeValue(forKey: "a") == 2)
        #expect(map.isEmpty)
        try map.validate()
    }

    @Test func ascendingInsertsKeepTheTreeBalanced() throws {
        var map = OrderedMap<Int, Int>()
        for key in 0..<512 {
            map[key] = key
            try map.validate()
        }
        for key in stride(from: 0, to: 512, by: 2) {
            map[key] = nil
            try map.validate()
        }
        #expect(map.count == 256)
        #expect(Array(map.elements(in: 10...16).map(\.key)) == [11, 13, 15])
    }

    @Test func aCopyIsUnchangedByMutationsOfTheOriginal() throws {
        var original = OrderedMap<Int, Int>()
        for key in 0..<100 { original[key] = key }
        let copy = original
        for key in 0..<50 { original[key] = nil }
        for key in 100..<150 { original[key] = -key }
        original[75] = 0
        try original.validate()
        try copy.validate()
        #expect(copy.count == 100)
        #expect(copy.map(\.key) == Array(0..<100))
        #expect(copy.allSatisfy { $0.key == $0.value })
        #expect(original.map(\.key) == Array(50..<150))
        #expect(original[75] == 0)
        #expect(copy != original)
    }

    @Test func behavesLikeASortedArray() async {
        // Operations: (kind, key, value) on a small key space, so that keys collide often.
        let operations = PropertyBased.zip(Gen.int(in: 0...5), Gen.int(in: 0...40), Gen.int(in: 0...1_000)).array(of: 0...150)
        await propertyCheck(count: 200, input: operations) { operations in
            var map = OrderedMap<Int, Int>()
            var model: [(key: Int, value: Int)] = []
            var snapshots: [(map: OrderedMap<Int, Int>, model: [(key: Int, value: Int)])] = []
            for (kind, key, value) in operations {
                let position = model.firstIndex { $0.key >= key } ?? model.endIndex
                let present = position < model.endIndex && model[position].key == key
                switch kind {
                case 0, 1:
                    let replaced = map.updateValue(value, forKey: key)
                    #expect(replaced == (present ? model[position].value : nil))
                    if present { model[position].value = value } else { model.insert((key, value), at: position) }
                case 2:
                    let removed = map.removeValue(forKey: key)
                    #expect(removed == (present ? model[position].value : nil))
                    if present { model.remove(at: position) }
                case 3:
                    #expect(map.floor(key)?.key == model.last { $0.key <= key }?.key)
                    #expect(map.ceiling(key)?.key == model.first { $0.key >= key }?.key)
                case 4:
                    let upper = key + value % 12
                    #expect(map.elements(in: key...upper).map(\.key) == model.filter { (key...upper).contains($0.key) }.map(\.key))
                    #expect(map.elements(in: key..<upper).map(\.value) == model.filter { (key..<upper).contains($0.key) }.map(\.value))
                default:
                    snapshots.append((map, model))
                }
                #expect(throws: Never.self) { try map.validate() }
                #expect(map.count == model.count)
                #expect(map[key] == model.first { $0.key == key }?.value)
            }
            #expect(map.map(\.key) == model.map(\.key))
            #expect(map.map(\.value) == model.map(\.value))
            for snapshot in snapshots {
                #expect(throws: Never.self) { try snapshot.map.validate() }
                #expect(snapshot.map.map(\.key) == snapshot.model.map(\.key))
                #expect(snapshot.map.map(\.value) == snapshot.model.map(\.value))
            }
        }
    }
}
