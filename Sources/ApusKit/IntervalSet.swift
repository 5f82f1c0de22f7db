/// A set of closed ranges kept sorted and merged: inserting a range that overlaps or touches
/// others joins them (the notes' "merge intervals").
///
/// The ranges live in an `OrderedMap` from lower to upper bound, so an insert finds its
/// neighbours in `O(log n)` and costs `O(log n)` more for each range it swallows, and a copy
/// shares the tree until one side changes it.
public struct IntervalSet<Bound: Comparable> {
    /// Upper bound by lower bound; the ranges are disjoint and never touch.
    @usableFromInline var bounds = OrderedMap<Bound, Bound>()

    /// Creates an empty set.
    @inlinable
    public init() {}

    /// Creates the merged set of `ranges` in O(n log n).
    @inlinable
    public init(_ ranges: some Sequence<ClosedRange<Bound>>) {
        for range in Self.merge(Array(ranges)) {
            bounds[range.lowerBound] = range.upperBound
        }
    }

    /// The disjoint ranges, in ascending order (an array built on each call, in O(n)).
    @inlinable
    public var ranges: [ClosedRange<Bound>] {
        bounds.map { $0.key...$0.value }
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

    /// Adds `range`, merging it with every range it overlaps, in O((1 + merged ranges) log n).
    @inlinable
    public mutating func insert(_ range: ClosedRange<Bound>) {
        var lower = range.lowerBound
        var upper = range.upperBound
        if let before = bounds.floor(lower), lower <= before.value {
            // Already covered: nothing changes, and a shared tree stays shared.
            if upper <= before.value { return }
            lower = before.key
        }
        while let next = bounds.ceiling(lower), next.key <= upper {
            upper = max(upper, next.value)
            bounds.removeValue(forKey: next.key)
        }
        bounds[lower] = upper
    }

    /// Whether some range contains `value`, in O(log n).
    @inlinable
    public func contains(_ value: Bound) -> Bool {
        guard let range = bounds.floor(value) else { return false }
        return value <= range.value
    }
}

extension IntervalSet where Bound: BinaryInteger {
    /// How many values the set covers, for integer bounds (e.g. bytes received of an upload).
    public var coveredCount: Bound {
        bounds.reduce(0) { $0 + ($1.value - $1.key + 1) }
    }
}

extension IntervalSet: Sendable where Bound: Sendable {}
extension IntervalSet: Equatable {}
