public import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Where Swift concurrency runs a node's tasks.
public enum EventLoopExecutor {
    private static let installed = Atomic(false)

    /// Makes NIO's event loops Swift concurrency's global executor, unless
    /// `APUS_EXECUTOR=dispatch`: a request's handler then runs on the thread that read it and
    /// writes its answer there, instead of hopping to the cooperative pool and back (two thread
    /// wake-ups a request, which dominate once a node's load is spread thin). Work that blocks
    /// already runs on ``BlockingPools`` and long CPU work on ``CPUWork``, so no event loop
    /// waits on either. Call it first thing, from the main thread, before any task starts.
    @discardableResult
    public static func install(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard environment["APUS_EXECUTOR"] != "dispatch" else { return false }
        let done = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        if done { installed.store(true, ordering: .relaxed) }
        return done
    }

    /// What runs tasks in this process: `event-loops` once ``install(environment:)`` took over,
    /// else `dispatch` (Swift's cooperative pool).
    public static var current: String {
        installed.load(ordering: .relaxed) ? "event-loops" : "dispatch"
    }
}
