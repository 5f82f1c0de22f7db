import ApusKit
import Testing

/// The bucketed counter against the exact count of the same events kept one by one.
@Suite struct SlidingWindowCounterTests {
    /// The events in `(time - window, time]`, counted one by one.
    static func exact(_ events: [Int64], at time: Int64, window: Int64) -> Int {
        events.filter { $0 > time - window && $0 <= time }.count
    }

    /// A counter of the events that have happened by `time`, as one kept live is at `time`.
    static func counter(_ events: [Int64], by time: Int64, window: Int64, buckets: Int) -> SlidingWindowCounter {
        var counter = SlidingWindowCounter(window: window, buckets: buckets)
        for event in events where event <= time { counter.add(at: event) }
        return counter
    }

    @Test func exactAtBucketEndsAndWithinOneBucketBetween() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let window: Int64 = 600
            let buckets = [1, 2, 3, 6, 10, 60].randomElement(using: &generator)!
            let events = (0..<Int.random(in: 0...300, using: &generator)).map { _ in Int64.random(in: -1_000...3_000, using: &generator) }
            for _ in 0..<20 {
                let time = Int64.random(in: -1_000...4_000, using: &generator)
                let counter = Self.counter(events, by: time, window: window, buckets: buckets)
                let exact = Double(Self.exact(events, at: time, window: window))
                // The error is at most the events of the one bucket the window cuts.
                let cut = counter.bucket(of: time - window)
                let inCut = Double(events.filter { $0 <= time && counter.bucket(of: $0) == cut }.count)
                let error: Double = abs(counter.count(at: time) - exact)
                #expect(error <= inCut + 1e-9, "\(buckets) buckets at \(time)")
                // At a bucket's end the window holds whole buckets: exact.
                let end = counter.bucket(of: time) * counter.bucketWidth + counter.bucketWidth - 1
                let atEnd = Double(Self.exact(events, at: end, window: window))
                #expect(Self.counter(events, by: end, window: window, buckets: buckets).count(at: end) == atEnd, "\(buckets) buckets at the end \(end)")
            }
        }
    }

    @Test func theOldestBucketCountsByTheShareStillInside() {
        var counter = SlidingWindowCounter(window: 60, buckets: 6)
        counter.add(10, at: 0)  // bucket [0, 10)
        counter.add(4, at: 55)  // bucket [50, 60)
        #expect(counter.count(at: 59) == 14)
        // At 64 the window (4, 64] keeps 5 of bucket 0's 10 time units.
        let halfOfTheOldest: Double = 4 + 10 * 5.0 / 10
        #expect(counter.count(at: 64) == halfOfTheOldest)
        #expect(counter.count(at: 69) == 4)
        #expect(counter.count(at: 120) == 0)
        // Events after the time asked are not counted.
        #expect(counter.count(at: 9) == 10)
    }

    @Test func trimmingKeepsEveryCountAWindowCanStillReach() {
        var counter = SlidingWindowCounter(window: 100, buckets: 10, counts: [0: 3, 5: 1, 12: 2, 19: 7])
        let before = counter.count(at: 195)
        counter.trim(before: 195)
        #expect(counter.counts.keys.sorted() == [12, 19])
        #expect(counter.count(at: 195) == before)
    }
}
