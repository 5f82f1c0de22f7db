public import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Where Swift concurrency runs a node's tasks (`APUS_EXECUTOR`).
///
/// `dispatch`, the default, is Swift's cooperative pool: a request is read on an event loop,
/// handled on a pool thread and written back on the loop. `event-loops` makes NIO's event loops
/// the global executor, so a request is read, handled and answered on one thread: half the
/// threads, and no wake-up to hand a request over. That wins where a node shares its cores with
/// other processes (several nodes on one host, containers with CPU limits): a local cluster of
/// four nodes behind HAProxy on two cores serves 1.5x the redirects with it. A node alone on
/// its cores and saturated does as well or better on the pool (a published page costs 15–20%
/// more CPU on the loops, whose task queue is heavier). Either way nothing blocks an event
/// loop: SQLite, bcrypt, name lookups and files run on ``BlockingPools``, long CPU work on
/// ``CPUWork``.
///
/// `APUS_EVENT_LOOPS` sets how many event loops (threads) the node runs, one per core unless
/// set: several nodes sharing a host's cores each do best with fewer.
public enum EventLoopExecutor {
    private static let installed = Atomic(false)
    private static let loopsCounted = Atomic(false)

    /// The most event loops `APUS_EVENT_LOOPS` may ask for.
    public static let maximumLoops = 256

    /// `APUS_EVENT_LOOPS` as a count of loops: `nil` when unset, and when it is not a whole
    /// number from 1 to ``maximumLoops`` (the configuration refuses that value with the others).
    public static func loopCount(_ environment: [String: String]) -> Int? {
        guard let text = environment["APUS_EVENT_LOOPS"]?.trimmingCharacters(in: .whitespaces), let count = Int(text),
              (1...maximumLoops).contains(count) else { return nil }
        return count
    }

    /// Sizes NIO's event loop group from `APUS_EVENT_LOOPS`, then makes the loops Swift
    /// concurrency's global executor when `APUS_EXECUTOR=event-loops`; returns whether it did
    /// the latter. Call it first thing, from the main thread, before any task starts (or any
    /// event loop is used).
    @discardableResult
    public static func install(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        // NIO takes the count once, before its group is first used.
        if let loops = loopCount(environment), !loopsCounted.exchange(true, ordering: .relaxed) {
            NIOSingletons.groupLoopCountSuggestion = loops
        }
        guard environment["APUS_EXECUTOR"]?.trimmingCharacters(in: .whitespaces) == "event-loops" else { return false }
        // NIO allows one take-over a process.
        guard !installed.load(ordering: .relaxed) else { return true }
        let done = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        if done { installed.store(true, ordering: .relaxed) }
        return done
    }

    /// What runs tasks in this process: `event-loops` once ``install(environment:)`` took over,
    /// else `dispatch`.
    public static var current: String {
        installed.load(ordering: .relaxed) ? "event-loops" : "dispatch"
    }
}
