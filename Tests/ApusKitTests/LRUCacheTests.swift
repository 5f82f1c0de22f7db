import ApusKit
import PropertyBased
import Testing

@Suite struct LRUCacheTests {
    @Test func evictsTheLeastRecentlyUsedEntry() {
        var cache = LRUCache<String, Int>(capacity: 2)
        cache.put("a", 1)
        cache.put("b", 2)
        #expect(cache.get("a") == 1)
        let evicted = cache.put("c", 3)
        #expect(evicted?.key == "b")
        #expect(cache.get("b") == nil)
        #expect(cache.keysByRecency == ["c", "a"])
    }

    @Test func updatingAKeyRefreshesItWithoutEviction() {
        var cache = LRUCache<String, Int>(capacity: 2)
        cache.put("a", 1)
        cache.put("b", 2)
        #expect(cache.put("a", 10) == nil)
        cache.put("c", 3)
        #expect(cache.peek("a") == 10)
        #expect(cache.peek("b") == nil)
        #expect(cache.count == 2)
    }

    @Test func anUpdateChangesInPlaceOrInsertsAndEvictsLikeAPut() {
        var cache = LRUCache<String, Int>(capacity: 2)
        cache.put("a", 1)
        cache.put("b", 2)
        // Present: changed in place, made most recent, `make` not called.
        let doubled = cache.update("a", orInsert: { Issue.record("inserted a present key"); return 0 }) { value -> Int in
            value *= 2
            return value
        }
        #expect(doubled == 2)
        #expect(cache.keysByRecency == ["a", "b"])
        // Absent: `make` is stored, then changed; the least recently used entry goes.
        let made = cache.update("c", orInsert: { 30 }) { value -> Int in
            value += 1
            return value
        }
        #expect(made == 31)
        #expect(cache.keysByRecency == ["c", "a"])
        #expect(cache.peek("b") == nil)
        #expect(cache.peek("c") == 31 && cache.peek("a") == 2)
    }

    @Test func removedSlotsAreReused() {
        var cache = LRUCache<Int, Int>(capacity: 3)
        for key in 0..<3 { cache.put(key, key) }
        #expect(cache.remove(1) == 1)
        cache.put(7, 7)
        #expect(cache.keysByRecency == [7, 2, 0])
        cache.removeAll()
        #expect(cache.count == 0)
        cache.put(1, 1)
        #expect(cache.keysByRecency == [1])
    }

    @Test func behavesLikeAReferenceModel() async {
        // Operations: (isPut, key, value). The model is an array ordered by recency.
        let operations = PropertyBased.zip(Gen.bool, Gen.int(in: 0...9), Gen.int(in: 0...1000)).array(of: 1...200)
        await propertyCheck(count: 200, input: operations, Gen.int(in: 1...6)) { operations, capacity in
            var cache = LRUCache<Int, Int>(capacity: capacity)
            var model: [(key: Int, value: Int)] = []
            for (isPut, key, value) in operations {
                if isPut {
                    cache.put(key, value)
                    model.removeAll { $0.key == key }
                    model.insert((key, value), at: 0)
                    if model.count > capacity { model.removeLast() }
                } else {
                    let expected = model.first { $0.key == key }
                    #expect(cache.get(key) == expected?.value)
                    if let expected {
                        model.removeAll { $0.key == key }
                        model.insert(expected, at: 0)
                    }
                }
                #expect(cache.keysByRecency == model.map(\.key))
            }
        }
    }
}
