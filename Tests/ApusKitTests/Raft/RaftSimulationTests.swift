import ApusKit
import Foundation
import Testing

/// Thousands of seeded schedules of faults against 3- and 5-node clusters, each checked after
/// every event. A failure prints the seed and the events; `RAFT_REPLAY=<nodes>:<seed>` reruns
/// that one schedule and prints it.
@Suite struct RaftSimulationTests {
    static let configuration = RaftConfiguration(electionTimeout: 6, heartbeatInterval: 2, maxEntriesPerMessage: 4)

    /// A slice of the fixed seeds; slices run in parallel.
    struct Batch: Sendable, CustomTestStringConvertible {
        let nodes: Int
        let seeds: Range<UInt64>
        var testDescription: String { "\(nodes) nodes, seeds \(seeds.lowerBound)..<\(seeds.upperBound)" }
    }

    /// 6,000 schedules of three nodes and 4,000 of five, in four slices each.
    static let batches: [Batch] = [(3, 1_500), (5, 1_000)].flatMap { (nodes: Int, size: UInt64) -> [Batch] in
        (UInt64(0)..<4).map { (slice: UInt64) -> Batch in Batch(nodes: nodes, seeds: (slice * size)..<((slice + 1) * size)) }
    }

    /// `RAFT_REPLAY=5:1234`: the one schedule to rerun.
    static let replay: (nodes: Int, seed: UInt64)? = {
        guard let value = ProcessInfo.processInfo.environment["RAFT_REPLAY"] else { return nil }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let nodes = Int(parts[0]), let seed = UInt64(parts[1]) else { return nil }
        return (nodes, seed)
    }()

    /// One schedule: 120 random events, even seeds with crashes and partitions, odd seeds with
    /// the leader cut off again and again; then the network heals.
    static func simulate(
        nodes: Int, seed: UInt64, configuration: RaftConfiguration = configuration, steps: Int = 120, faults: RaftSimulator.Faults? = nil
    ) -> (simulator: RaftSimulator, recovery: Int?) {
        var simulator = RaftSimulator(nodes: nodes, seed: seed, configuration: configuration)
        let faults = faults ?? (seed.isMultiple(of: 2) ? .crashesAndPartitions : .isolatedLeaders)
        let recovery = simulator.runSchedule(steps: steps, faults: faults, progressBound: 100)
        return (simulator, recovery)
    }

    @Test(arguments: batches)
    func everyScheduleKeepsRaftSafeAndRecovers(_ batch: Batch) {
        var seeds = Array(batch.seeds)
        if let replay = Self.replay {
            // Only the first batch of that size replays, once.
            guard replay.nodes == batch.nodes, batch.seeds.lowerBound == 0 else { return }
            seeds = [replay.seed]
        }
        let started = ContinuousClock.now
        var slowestRecovery = 0
        var events = 0
        for seed in seeds {
            let (simulator, recovery) = Self.simulate(nodes: batch.nodes, seed: seed)
            events += simulator.trace.count
            if Self.replay != nil { print(simulator.report) }
            guard let recovery else {
                Issue.record("Raft property broken; rerun with RAFT_REPLAY=\(batch.nodes):\(seed)\n\(simulator.report)")
                return
            }
            slowestRecovery = max(slowestRecovery, recovery)
        }
        print("Raft simulation: \(seeds.count) schedules of \(batch.nodes) nodes, \(events) events, \(ContinuousClock.now - started); slowest recovery \(slowestRecovery) ticks")
    }

    @Test func aSeedReplaysTheSameRun() {
        let first = Self.simulate(nodes: 5, seed: 99).simulator
        let second = Self.simulate(nodes: 5, seed: 99).simulator
        #expect(first.report == second.report)
        #expect(first.trace.count > 120)
        #expect(!first.committed.isEmpty)
    }

    @Test func schedulesExerciseEveryFault() {
        var seen: Set<String> = []
        for seed in UInt64(0)..<20 {
            for event in Self.simulate(nodes: 5, seed: seed).simulator.trace {
                seen.insert(String(String(describing: event).prefix { $0 != " " }))
            }
        }
        #expect(seen.isSuperset(of: ["tick", "deliver", "drop", "duplicate", "propose", "crash", "restart", "partition", "heal"]))
    }

    @Test func aLeaderThatCommitsOldTermEntriesByCountingReplicasIsCaught() {
        // One entry per message, so that a follower can hold an entry of an earlier term without
        // the new leader's empty entry after it: the window in which counting replicas goes
        // wrong. Longer schedules of cut-off leaders, so that leadership passes back and forth.
        var broken = RaftConfiguration(electionTimeout: 6, heartbeatInterval: 2, maxEntriesPerMessage: 1)
        broken.commitRule = .anyTermByQuorum
        var caught: (seed: UInt64, violation: String)?
        for seed in UInt64(0)..<200 {
            let run = Self.simulate(nodes: 3, seed: seed, configuration: broken, steps: 400, faults: .isolatedLeaders)
            if let violation = run.simulator.violation {
                caught = (seed, violation)
                break
            }
        }
        guard let caught else {
            Issue.record("no schedule caught a leader committing entries of an earlier term by counting replicas")
            return
        }
        print("Raft simulation: the broken commit rule is caught at seed \(caught.seed): \(caught.violation)")
        #expect(caught.violation.hasPrefix("leader completeness") || caught.violation.hasPrefix("state machine safety"))
        // The same schedules with Raft's rule are safe.
        var correct = broken
        correct.commitRule = .currentTermByQuorum
        for seed in 0...caught.seed {
            let run = Self.simulate(nodes: 3, seed: seed, configuration: correct, steps: 400, faults: .isolatedLeaders)
            #expect(run.simulator.violation == nil, "seed \(seed)")
        }
    }
}
