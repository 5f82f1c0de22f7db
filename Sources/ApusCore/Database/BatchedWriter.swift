public import Logging
public import Prometheus
public import ServiceLifecycle
import Synchronization

/// Items that wait in memory, off a request's path, and are written in batches: when
/// `batchSize` have gathered, every `interval`, and at shutdown. Bounded: past `capacity` a new
/// item is dropped and counted, so memory never grows without end. A write that fails puts
/// back what it did not write (as far as there is room) for the next flush, and the chunks
/// before it stay written, so nothing is lost to a database hiccup and nothing counted twice.
///
/// Run it as one of a module's services (``ModuleParts/services``); its counters are
/// `apus_<subsystem>_<noun>_buffered_total`, `…_flushed_total` and `…_dropped_total`.
public final class BatchedWriter<Item: Sendable>: Service, Sendable {
    private let pending = Mutex<[Item]>([])
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let write: @Sendable ([Item]) async throws -> Void
    private let logger: Logger
    /// Items held at most.
    public let capacity: Int
    /// Items that wake the writer before its interval.
    public let batchSize: Int
    /// Items handed to `write` at once.
    public let chunkSize: Int
    private let interval: Duration
    private let noun: String
    private let buffered: Counter
    private let flushed: Counter
    private let dropped: Counter

    /// A writer of `noun` (plural, for metrics and logs: "clicks") that hands chunks of at most
    /// `chunkSize` to `write`, each of which commits on its own.
    public init(
        subsystem: String, noun: String, capacity: Int, batchSize: Int, chunkSize: Int = 500, interval: Duration = .seconds(1),
        metrics: PrometheusCollectorRegistry, logger: Logger, write: @escaping @Sendable ([Item]) async throws -> Void
    ) {
        self.capacity = capacity
        self.batchSize = batchSize
        self.chunkSize = max(1, chunkSize)
        self.interval = interval
        self.noun = noun
        self.logger = logger
        self.write = write
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let name = noun.capitalized
        buffered = metrics.makeCounter(descriptor: .init(namespace: "apus", subsystem: subsystem, metricName: "\(noun)_buffered", unitName: "total", helpText: "\(name) accepted into the buffer."))
        flushed = metrics.makeCounter(descriptor: .init(namespace: "apus", subsystem: subsystem, metricName: "\(noun)_flushed", unitName: "total", helpText: "\(name) written."))
        dropped = metrics.makeCounter(descriptor: .init(namespace: "apus", subsystem: subsystem, metricName: "\(noun)_dropped", unitName: "total", helpText: "\(name) shed because the buffer was full."))
    }

    /// Adds an item; `false` (and counted) when the buffer is full.
    @discardableResult
    public func record(_ item: Item) -> Bool {
        let (accepted, count) = pending.withLock { pending -> (Bool, Int) in
            guard pending.count < capacity else { return (false, pending.count) }
            pending.append(item)
            return (true, pending.count)
        }
        guard accepted else {
            dropped.increment()
            return false
        }
        buffered.increment()
        if count >= batchSize { wake.yield() }
        return true
    }

    /// Items waiting to be written.
    public var count: Int { pending.withLock { $0.count } }

    /// Writes everything buffered now.
    public func flush() async {
        let batch = pending.withLock { pending -> [Item] in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !batch.isEmpty else { return }
        var written = 0
        do {
            while written < batch.count {
                let chunk = Array(batch[written..<min(written + chunkSize, batch.count)])
                try await write(chunk)
                written += chunk.count
                flushed.increment(by: Int64(chunk.count))
            }
        } catch {
            let unwritten = batch[written...]
            logger.error("cannot write \(noun); will retry", metadata: ["error": "\(error)", "\(noun)": "\(unwritten.count)"])
            pending.withLock { pending in
                let room = max(0, capacity - pending.count)
                pending.insert(contentsOf: unwritten.prefix(room), at: 0)
            }
        }
    }

    /// Flushes every `interval` or when a batch fills, until shutdown; then flushes what is left.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [wake, interval] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        wake.yield()
                    }
                }
                for await _ in wakes {
                    await flush()
                }
                group.cancelAll()
            }
        } onGracefulShutdown: { [wake] in
            wake.finish()
        }
        await flush()
    }
}
