public import Foundation
import NIOCore
import NIOPosix

/// Where Swift concurrency runs a node's tasks.
public enum EventLoopExecutor {
    /// Makes NIO's event loops Swift concurrency's global executor, unless
    /// `APUS_EXECUTOR=dispatch`: a request's handler then runs on the thread that read it and
    /// writes its answer there, instead of hopping to the cooperative pool and back (two thread
    /// wake-ups a request, which dominate once a node's load is spread thin). Work that blocks
    /// already runs on ``BlockingPools`` and long CPU work on ``CPUWork``, so no event loop
    /// waits on either. Call it first thing, from the main thread, before any task starts.
    @discardableResult
    public static func install(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard environment["APUS_EXECUTOR"] != "dispatch" else { return false }
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
