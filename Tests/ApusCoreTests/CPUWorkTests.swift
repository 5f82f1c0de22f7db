import ApusCore
import Dispatch
import Testing

@Suite struct CPUWorkTests {
    /// More blocking works than the concurrency pool has threads, released by a task on that
    /// pool: were they run on the pool, the releasing task would never get a thread.
    @Test(.timeLimit(.minutes(1))) func blockingWorkLeavesTheConcurrencyPoolFree() async throws {
        let count = 16
        let gate = DispatchSemaphore(value: 0)
        let results = await withTaskGroup(of: Int.self) { group in
            for index in 0..<count {
                group.addTask {
                    await CPUWork.run {
                        gate.wait()
                        return index * index
                    }
                }
            }
            group.addTask {
                for _ in 0..<count { gate.signal() }
                return -1
            }
            var all: [Int] = []
            for await value in group where value >= 0 { all.append(value) }
            return all.sorted()
        }
        #expect(results == (0..<count).map { $0 * $0 })
    }
}
