import ApusKit
import Benchmark

/// Each benchmark does `scaledIterations` operations per measured run, so the figures read as
/// time per operation batch; `throughput` is the headline.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )

    Benchmark("LRUCache get (hit), 10k entries") { benchmark in
        var cache = LRUCache<Int, Int>(capacity: 10_000)
        for key in 0..<10_000 { cache.put(key, key) }
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(cache.get(index % 10_000))
        }
    }

    Benchmark("LRUCache put with eviction, 10k entries") { benchmark in
        var cache = LRUCache<Int, Int>(capacity: 10_000)
        for key in 0..<10_000 { cache.put(key, key) }
        var next = 10_000
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(cache.put(next, next))
            next += 1
        }
    }

    Benchmark("TokenBucket take") { benchmark in
        var bucket = TokenBucket(capacity: 100, refillPerSecond: 1_000_000, now: 0)
        var now = 0.0
        for _ in benchmark.scaledIterations {
            now += 0.000_001
            blackHole(bucket.take(now: now))
        }
    }

    Benchmark("Base62 encode + decode") { benchmark in
        var value: UInt64 = 0x1234_5678_9ABC
        for _ in benchmark.scaledIterations {
            value &+= 7919
            blackHole(Base62.decode(Base62.encode(value)))
        }
    }

    Benchmark("IntervalSet insert, 1k disjoint ranges") { benchmark in
        var set = IntervalSet<Int>()
        for start in stride(from: 0, to: 100_000, by: 100) { set.insert(start...(start + 10)) }
        var offset = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var copy = set
            offset = (offset + 37) % 100_000
            copy.insert(offset...(offset + 5))
            blackHole(copy)
        }
        // Freeing the set is not part of an insert.
        benchmark.stopMeasurement()
    }

    // Built once, apart from the measured runs: a hundred thousand inserts into an array-backed
    // set would take minutes, and building and freeing the tree for each run would swamp it.
    let hundredThousandRanges = IntervalSet(stride(from: 0, to: 10_000_000, by: 100).map { $0...($0 + 10) })
    Benchmark("IntervalSet insert, 100k disjoint ranges") { benchmark in
        var offset = 0
        for _ in benchmark.scaledIterations {
            var copy = hundredThousandRanges
            offset = (offset + 3_737) % 10_000_000
            copy.insert(offset...(offset + 5))
            blackHole(copy)
        }
    }

    Benchmark("TopologicalSort, 1k-node chain") { benchmark in
        let nodes = Array(0..<1_000)
        for _ in benchmark.scaledIterations {
            blackHole(try TopologicalSort.sort(nodes) { $0 == 0 ? [] : [$0 - 1] })
        }
    }

    Benchmark("ExponentialBackoff delay") { benchmark in
        let backoff = ExponentialBackoff(base: 0.1, cap: 30)
        var generator = SystemRandomNumberGenerator()
        for index in benchmark.scaledIterations {
            blackHole(backoff.delay(attempt: index % 12 + 1, using: &generator))
        }
    }

    Benchmark("CircuitBreaker allow + record") { benchmark in
        var breaker = CircuitBreaker(failureThreshold: 5, openDuration: 1)
        var now = 0.0
        for index in benchmark.scaledIterations {
            now += 0.01
            if breaker.allowCall(now: now) {
                if index % 7 == 0 { breaker.recordFailure(now: now) } else { breaker.recordSuccess() }
            }
        }
        blackHole(breaker)
    }
}
