import Dispatch

/// CPU-bound work (training a model, inverting a matrix) run on a thread of its own, off the
/// Swift concurrency pool. That pool has a thread per core: work that holds one for seconds
/// starves every task waiting for it, and with it the database replies and requests those
/// tasks carry. The work may spread itself over every core with
/// `DispatchQueue.concurrentPerform`, which runs on the same dispatch threads.
public enum CPUWork {
    /// Runs `work` on a dispatch thread and returns its result to the awaiting task.
    public static func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async { continuation.resume(returning: work()) }
        }
    }
}
