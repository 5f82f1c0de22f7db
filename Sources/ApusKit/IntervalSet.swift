/// A set of closed ranges kept sorted and merged: inserting a range that overlaps or touches
/// others joins them (the notes' "merge intervals").
public struct IntervalSet<Bound: Comparable> {
    /// The disjoint ranges, in ascending order.
    public private(set) var ranges: [ClosedRange<Bound>] = []

    /// Creates an empty set.
    public init() {}

    /// Creates the merged set of `ranges` in O(n log n).
    public init(_ ranges: some Sequence<ClosedRange<Bound>>) {
        self.ranges = Self.merge(Array(ranges))
    }

    /// Sorts by lower bound and merges overlapping ranges.
    public static func merge(_ input: [ClosedRange<Bound>]) -> [ClosedRange<Bound>] {
        let sorted = input.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<Bound>] = []
        merged.reserveCapacity(sorted.count)
        for range in sorted {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// Adds `range`, merging it with every range it overlaps, in O(n).
    public mutating func insert(_ range: ClosedRange<Bound>) {
        var result: [ClosedRange<Bound>] = []
        result.reserveCapacity(ranges.count + 1)
        var pending = range
        var placed = false
        for existing in ranges {
            if existing.upperBound < pending.lowerBound {
                result.append(existing)
            } else if pending.upperBound < existing.lowerBound {
                if !placed {
                    result.append(pending)
                    placed = true
                }
                result.append(existing)
            } else {
                pending = min(existing.lowerBound, pending.lowerBound)...max(existing.upperBound, pending.upperBound)
            }
        }
        if !placed { result.append(pending) }
        ranges = result
    }

    /// Whether some range contains `value` (binary search).
    public func contains(_ value: Bound) -> Bool {
        var low = 0
        var high = ranges.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound < value {
                low = middle + 1
            } else if value < ranges[middle].lowerBound {
                high = middle - 1
            } else {
                return true
            }
        }
        return false
    }
}

extension IntervalSet where Bound: BinaryInteger {
    /// How many values the set covers, for integer bounds (e.g. bytes received of an upload).
    public var coveredCount: Bound {
        ranges.reduce(0) { $0 + ($1.upperBound - $1.lowerBound + 1) }
    }
}

extension IntervalSet: Sendable where Bound: Sendable {}
extension IntervalSet: Equatable {}
