public import Foundation
import Synchronization

/// A wall clock a test moves forward instead of sleeping: real time plus what the test added.
public final class TestClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)

    public init() {}

    /// Moves the clock `seconds` ahead.
    public func advance(by seconds: TimeInterval) {
        offset.withLock { $0 += seconds }
    }

    /// The time now, as the platform reads it.
    public var now: @Sendable () -> Date {
        { Date().addingTimeInterval(self.offset.withLock { $0 }) }
    }
}
