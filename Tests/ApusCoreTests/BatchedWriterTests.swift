import ApusCore
import ApusTesting
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing

/// The platform's bounded, batched writer, without any module.
@Suite struct BatchedWriterTests {
    struct Refused: Error {}

    /// What a writer's `write` received.
    final class Sink: Sendable {
        let chunks = Mutex<[[Int]]>([])

        func write(_ items: [Int]) {
            chunks.withLock { $0.append(items) }
        }

        var written: [Int] { chunks.withLock { $0.flatMap { $0 } } }
    }

    static func writer(_ sink: Sink, capacity: Int = 100, batchSize: Int = 100, chunkSize: Int = 500, registry: PrometheusCollectorRegistry = .init()) -> BatchedWriter<Int> {
        BatchedWriter(
            subsystem: "test", noun: "items", capacity: capacity, batchSize: batchSize, chunkSize: chunkSize, interval: .seconds(3600),
            metrics: registry, logger: Logger(label: "test"), write: { sink.write($0) }
        )
    }

    static func metrics(_ registry: PrometheusCollectorRegistry) -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func pastItsCapacityAnItemIsDroppedAndCounted() async {
        let registry = PrometheusCollectorRegistry()
        let sink = Sink()
        let writer = Self.writer(sink, capacity: 2, registry: registry)
        #expect((1...3).map { writer.record($0) } == [true, true, false])
        await writer.flush()
        #expect(sink.written == [1, 2])
        let text = Self.metrics(registry)
        #expect(text.contains("apus_test_items_dropped_total 1"))
        #expect(text.contains("apus_test_items_buffered_total 2") && text.contains("apus_test_items_flushed_total 2"))
    }

    @Test func aFailedChunkIsKeptForTheNextFlushAndWhatWasWrittenIsNotWrittenAgain() async {
        let sink = Sink()
        // The first chunk commits; the second fails, once.
        let once = Mutex(false)
        let failing = BatchedWriter<Int>(
            subsystem: "test", noun: "items", capacity: 100, batchSize: 100, chunkSize: 2, interval: .seconds(3600),
            metrics: PrometheusCollectorRegistry(), logger: Logger(label: "test"),
            write: { items in
                let failNow = items.first == 3 && once.withLock { failed in
                    defer { failed = true }
                    return !failed
                }
                if failNow { throw Refused() }
                sink.write(items)
            }
        )
        for item in 1...5 { failing.record(item) }
        await failing.flush()
        #expect(sink.written == [1, 2])
        #expect(failing.count == 3)
        await failing.flush()
        #expect(sink.written == [1, 2, 3, 4, 5])
        #expect(failing.count == 0)
    }

    @Test func aFullBatchIsWrittenWithoutWaitingForTheIntervalAndShutdownWritesTheRest() async throws {
        let sink = Sink()
        let writer = Self.writer(sink, batchSize: 3)
        let group = ServiceGroup(services: [writer], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for item in 1...3 { writer.record(item) }
            try await expectEventually { sink.written == [1, 2, 3] }
            writer.record(4)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(sink.written == [1, 2, 3, 4])
    }
}
