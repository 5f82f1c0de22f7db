/// How many events fell in the last `window`, kept in a fixed number of buckets rather than one
/// timestamp per event: the sliding-window counter of rate limiters and alerting. The window
/// `(t - window, t]` covers its newest buckets whole and the oldest in part; that part is
/// weighted by the share of the bucket still inside, so the estimate errs by at most the
/// events of one bucket, and is exact when `t` falls on a bucket's end.
///
/// Times are integers in any unit (nanoseconds for log lines); bucket `i` holds `[i·w, (i+1)·w)`
/// with `w = window / buckets`. The counts are plain values, so a counter is rebuilt from
/// stored buckets (``init(window:buckets:counts:)``) as easily as it is kept in memory.
public struct SlidingWindowCounter: Sendable, Equatable {
    public let window: Int64
    public let buckets: Int
    /// Events per bucket index.
    public private(set) var counts: [Int64: Int]

    /// A counter over `window` in `buckets` buckets (`window` must divide into them).
    public init(window: Int64, buckets: Int, counts: [Int64: Int] = [:]) {
        precondition(window > 0 && buckets > 0 && window % Int64(buckets) == 0, "a window of \(window) does not divide into \(buckets) buckets")
        self.window = window
        self.buckets = buckets
        self.counts = counts
    }

    /// The span of one bucket.
    public var bucketWidth: Int64 { window / Int64(buckets) }

    /// The bucket holding `time`.
    public func bucket(of time: Int64) -> Int64 {
        time >= 0 ? time / bucketWidth : (time - bucketWidth + 1) / bucketWidth
    }

    public mutating func add(_ count: Int = 1, at time: Int64) {
        counts[bucket(of: time), default: 0] += count
    }

    /// The events in `(time - window, time]`: whole buckets inside it, and the share of the
    /// oldest bucket the window still covers. The bucket holding `time` counts whole and later
    /// ones not at all: add events as they happen and ask at the present.
    public func count(at time: Int64) -> Double {
        let width = bucketWidth
        let start = time - window  // exclusive
        let first = bucket(of: start)
        let last = bucket(of: time)
        var total = 0.0
        for (index, count) in counts where index >= first && index <= last {
            if index == first {
                // The part of [first·w, (first+1)·w) after `start`.
                let inside = (index + 1) * width - (start + 1)
                total += Double(count) * Double(inside) / Double(width)
            } else {
                total += Double(count)
            }
        }
        return total
    }

    /// Forgets the buckets that no window ending at `time` or later can reach.
    public mutating func trim(before time: Int64) {
        let first = bucket(of: time - window)
        counts = counts.filter { $0.key >= first }
    }
}
