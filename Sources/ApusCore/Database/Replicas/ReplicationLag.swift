public import Foundation

/// How far behind a replica is, in time, judged from positions alone.
///
/// The monitor notes the primary's WAL position at each check. A replica that has replayed
/// past every noted position is current; otherwise it is at least as old as the earliest noted
/// position it has not reached. Unlike `now() - pg_last_xact_replay_timestamp()`, this does not
/// grow while the primary is idle, and compares no clocks of two machines.
public struct ReplicationLag: Sendable {
    private var samples: [(at: Date, position: WALPosition)] = []
    /// The first position ever noted: a replica behind it is of unknown age (hours, perhaps).
    private var first: WALPosition?
    /// How long noted positions are kept; a replica further behind reads as this old.
    private let horizon: TimeInterval

    public init(horizon: TimeInterval) { self.horizon = horizon }

    /// Notes the primary's position at `time`.
    public mutating func primary(at position: WALPosition, time: Date) {
        if first == nil { first = position }
        if let last = samples.last, last.position >= position {
            // Nothing new was written: the earlier sample keeps its (older) time.
        } else {
            samples.append((time, position))
        }
        // Keep at least the newest sample, and the oldest one inside the horizon (a replica
        // older than everything kept still reads as at least that old).
        while samples.count > 1, time.timeIntervalSince(samples[1].at) > horizon { samples.removeFirst() }
    }

    /// Seconds `replayed` is behind the primary at `time`: 0 if it has reached every noted
    /// position; `nil` (unknown, so not to be trusted) before any position was noted or while
    /// it has not reached the first one.
    public func seconds(behind replayed: WALPosition, at time: Date) -> TimeInterval? {
        guard let first, replayed >= first else { return nil }
        guard let missed = samples.first(where: { $0.position > replayed }) else { return 0 }
        return max(0, time.timeIntervalSince(missed.at))
    }
}
