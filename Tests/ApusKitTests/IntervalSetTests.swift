import ApusKit
import PropertyBased
import Testing

@Suite struct IntervalSetTests {
    @Test func mergesTheClassicExample() {
        let merged = IntervalSet.merge([1...3, 2...6, 8...10, 15...18])
        #expect(merged == [1...6, 8...10, 15...18])
        #expect(IntervalSet.merge([1...4, 4...5]) == [1...5])
    }

    @Test func insertJoinsEveryOverlappedRange() {
        var set = IntervalSet([0...1, 5...6, 9...10, 20...30])
        set.insert(4...9)
        #expect(set.ranges == [0...1, 4...10, 20...30])
        set.insert(12...13)
        #expect(set.ranges == [0...1, 4...10, 12...13, 20...30])
        #expect(set.contains(13))
        #expect(!set.contains(11))
        #expect(set.coveredCount == 2 + 7 + 2 + 11)
    }

    @Test func agreesWithABruteForceSetOfPoints() async {
        let ranges = PropertyBased.zip(Gen.int(in: 0...60), Gen.int(in: 0...8)).map { $0...($0 + $1) }.array(of: 0...12)
        await propertyCheck(count: 300, input: ranges) { ranges in
            var incremental = IntervalSet<Int>()
            for range in ranges { incremental.insert(range) }
            let batch = IntervalSet(ranges)
            #expect(incremental == batch)
            let points = Set(ranges.flatMap { Array($0) })
            for value in -1...70 {
                #expect(batch.contains(value) == points.contains(value))
            }
            #expect(batch.coveredCount == points.count)
            for (left, right) in zip(batch.ranges, batch.ranges.dropFirst()) {
                #expect(left.upperBound < right.lowerBound)
            }
        }
    }
}
