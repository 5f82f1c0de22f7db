import ApusKit

/// A Raft cluster in one process, driven by a seeded generator: the network loses, repeats and
/// reorders messages and splits into partitions, nodes crash and restart from what they
/// persisted, and after every event the cluster is checked against Raft's safety properties.
/// The same seed gives the same run, so a failure replays from its seed.
struct RaftSimulator {
    /// How often each fault strikes, per thousand events of a schedule.
    struct Faults {
        var drop = 60
        var duplicate = 40
        var crash = 8
        var restart = 20
        var partition = 6
        var heal = 10
        /// Cuts the leader of the latest term off from the rest (and lets the last one cut off
        /// back in).
        var isolateLeader = 0
        var propose = 60
        /// Of the other events, the share (per thousand) that are ticks rather than deliveries.
        var tick = 100

        var total: Int { crash + restart + partition + heal + isolateLeader + propose }

        /// Crashes with restarts, random partitions, lost and repeated messages.
        static let crashesAndPartitions = Faults()
        /// No crashes: the leader is cut off again and again while proposals keep coming, the
        /// nemesis under which logs diverge the most.
        static let isolatedLeaders = Faults(crash: 0, restart: 0, partition: 0, heal: 0, isolateLeader: 60, propose: 150)
    }

    /// One thing that happened, for the trace.
    enum Event: CustomStringConvertible {
        case tick
        case deliver(RaftMessage)
        case drop(RaftMessage)
        case duplicate(RaftMessage)
        case propose(RaftNodeID, Int)
        case crash(RaftNodeID)
        case restart(RaftNodeID)
        case partition(Set<RaftNodeID>)
        case heal

        var description: String {
            switch self {
            case .tick: "tick"
            case .deliver(let message): "deliver \(describe(message))"
            case .drop(let message): "drop \(describe(message))"
            case .duplicate(let message): "duplicate \(describe(message))"
            case .propose(let node, let command): "propose \(command) at \(node)"
            case .crash(let node): "crash \(node)"
            case .restart(let node): "restart \(node)"
            case .partition(let side): "partition \(side.sorted()) from the rest"
            case .heal: "heal"
            }
        }
    }

    /// A member's process and disk.
    struct Member {
        /// `nil` while crashed.
        var node: RaftNode?
        var hardState = RaftHardState()
        var storedEntries: [RaftEntry] = []
        /// The state machine: the entries applied since the process started.
        var applied: [RaftEntry] = []
    }

    let seed: UInt64
    let configuration: RaftConfiguration
    var random: SplitMix64
    var members: [Member]
    var inFlight: [RaftMessage] = []
    /// One side of the partition; messages between it and the rest are lost.
    var cutOff: Set<RaftNodeID> = []
    /// Every entry any node has applied, by index: the cluster's committed log.
    var committed: [RaftEntry] = []
    /// The term each committed entry was committed in: that of the first node to apply it,
    /// the leader that committed it.
    var commitTerms: [Int] = []
    /// The leader seen in each term.
    var leaders: [Int: RaftNodeID] = [:]
    var trace: [Event] = []
    /// The first safety or liveness property found broken.
    var violation: String?
    var nextCommand = 1

    init(nodes: Int, seed: UInt64, configuration: RaftConfiguration) {
        self.seed = seed
        self.configuration = configuration
        random = SplitMix64(seed: seed)
        members = []
        let ids = Array(1...nodes)
        for id in ids {
            members.append(Member(node: RaftNode(id: id, members: ids, configuration: configuration, seed: random.next())))
        }
    }

    var ids: ClosedRange<RaftNodeID> { 1...members.count }

    // MARK: Events

    mutating func tick() {
        trace.append(.tick)
        for id in ids where members[id - 1].node != nil {
            let ready = members[id - 1].node!.tick()
            absorb(ready, at: id)
        }
    }

    mutating func deliver(_ message: RaftMessage) {
        trace.append(.deliver(message))
        guard members[message.to - 1].node != nil, cutOff.contains(message.from) == cutOff.contains(message.to) else { return }
        let ready = members[message.to - 1].node!.step(message)
        absorb(ready, at: message.to)
    }

    /// Proposes a new command at `id`; returns whether it was the leader.
    @discardableResult
    mutating func propose(at id: RaftNodeID, _ command: Int) -> Bool {
        trace.append(.propose(id, command))
        guard members[id - 1].node != nil, let ready = try? members[id - 1].node!.propose(command.bytes) else { return false }
        absorb(ready, at: id)
        return true
    }

    mutating func crash(_ id: RaftNodeID) {
        trace.append(.crash(id))
        // Everything the node held is on disk when it dies.
        if members[id - 1].storedEntries != members[id - 1].node?.log.entries {
            fail("node \(id) crashed holding a log it had not persisted")
        }
        members[id - 1].node = nil
        members[id - 1].applied = []
    }

    mutating func restart(_ id: RaftNodeID) {
        trace.append(.restart(id))
        let member = members[id - 1]
        members[id - 1].node = RaftNode(
            id: id, members: Array(ids), configuration: configuration, seed: random.next(),
            hardState: member.hardState, entries: member.storedEntries)
        check(id)
    }

    mutating func partition(_ side: Set<RaftNodeID>) {
        trace.append(.partition(side))
        cutOff = side
    }

    mutating func heal() {
        trace.append(.heal)
        cutOff = []
    }

    /// Delivers every message in flight, and those they cause, in random order.
    mutating func deliverAll(limit: Int = 10_000) {
        var delivered = 0
        while !inFlight.isEmpty, delivered < limit, violation == nil {
            deliver(inFlight.swapRemoveAt(random.below(inFlight.count)))
            delivered += 1
        }
    }

    /// Persists, sends and applies what a node asked for, then checks the cluster.
    mutating func absorb(_ ready: RaftReady, at id: RaftNodeID) {
        if let hardState = ready.hardState { members[id - 1].hardState = hardState }
        if let first = ready.entries.first {
            members[id - 1].storedEntries.removeSubrange((first.index - 1)...)
            members[id - 1].storedEntries.append(contentsOf: ready.entries)
        }
        inFlight.append(contentsOf: ready.messages)
        for entry in ready.committedEntries {
            guard entry.index == members[id - 1].applied.count + 1 else {
                return fail("node \(id) applied index \(entry.index) after \(members[id - 1].applied.count)")
            }
            if entry.index <= committed.count {
                guard committed[entry.index - 1] == entry else {
                    return fail("state machine safety: node \(id) applied \(describe(entry)) where \(describe(committed[entry.index - 1])) was applied")
                }
            } else {
                committed.append(entry)
                commitTerms.append(members[id - 1].node!.term)
            }
            members[id - 1].applied.append(entry)
        }
        check(id, changedFrom: ready.entries.first?.index)
    }

    mutating func fail(_ reason: String) {
        if violation == nil { violation = reason }
    }

    // MARK: Checks

    /// Checks the properties a step at `id` could have broken; `changedFrom` is the first log
    /// index the step wrote, if any. A log changes only by a rewritten suffix, so the checks of
    /// the log start there.
    mutating func check(_ id: RaftNodeID, changedFrom: Int? = 1) {
        guard let node = members[id - 1].node else { return }
        // What the node asked to persist is what it holds.
        let hardState = members[id - 1].hardState
        if hardState != RaftHardState(term: node.term, vote: node.votedFor, commit: node.commitIndex) {
            return fail("node \(id) holds term \(node.term), vote \(String(describing: node.votedFor)), commit \(node.commitIndex) but persisted \(hardState)")
        }
        // Election safety: at most one leader per term. A leader's log only grows in its term,
        // so what it must hold is checked once, as it takes office.
        if node.role == .leader {
            if let other = leaders[node.term] {
                if other != id { return fail("election safety: nodes \(other) and \(id) both lead term \(node.term)") }
            } else {
                leaders[node.term] = id
                // Leader completeness: a leader holds every entry committed before its term.
                for index in committed.indices where commitTerms[index] < node.term {
                    if node.log.term(at: index + 1) == nil || node.log[index + 1] != committed[index] {
                        return fail("leader completeness: leader \(id) of term \(node.term) lacks \(describe(committed[index])), committed in term \(commitTerms[index])")
                    }
                }
            }
        }
        guard let first = changedFrom else { return }
        let log = members[id - 1].storedEntries
        if log.count != node.log.lastIndex || log[(first - 1)...] != node.log.entries[(first - 1)...] {
            return fail("node \(id)'s log from \(first) is not what it persisted")
        }
        // Committed entries are never overwritten.
        for index in stride(from: first, through: node.commitIndex, by: 1) where log[index - 1] != committed[index - 1] {
            return fail("node \(id) overwrote committed \(describe(committed[index - 1])) with \(describe(log[index - 1]))")
        }
        // Log matching, by induction over the index: logs that agree on an entry's term hold the
        // same command there and agree on the term before it.
        for other in ids where other != id {
            let otherLog = members[other - 1].storedEntries
            for index in stride(from: first, through: min(log.count, otherLog.count), by: 1) where log[index - 1].term == otherLog[index - 1].term {
                if log[index - 1].command != otherLog[index - 1].command || (index > 1 && log[index - 2].term != otherLog[index - 2].term) {
                    return fail("log matching: nodes \(id) and \(other) share entry \(index) of term \(log[index - 1].term) but differ at or before it")
                }
            }
        }
    }

    // MARK: Schedules

    /// Runs `steps` random events with the given faults, then heals the network, restarts every
    /// node and requires a new command applied everywhere within `progressBound` ticks.
    /// Returns the ticks the cluster needed to recover, or `nil` after a violation.
    mutating func runSchedule(steps: Int, faults: Faults, progressBound: Int) -> Int? {
        for _ in 0..<steps {
            guard violation == nil else { return nil }
            randomEvent(faults)
        }
        guard violation == nil else { return nil }
        heal()
        for id in ids where members[id - 1].node == nil { restart(id) }
        let command = nextCommand
        let encoded = command.bytes
        nextCommand += 1
        for round in 0..<progressBound {
            deliverAll()
            guard violation == nil else { return nil }
            if members.allSatisfy({ $0.applied.contains { $0.command == encoded } }) { return round }
            // The leader of the latest term gets the command until its log holds it.
            if let leader = ids.filter({ members[$0 - 1].node?.role == .leader }).max(by: { members[$0 - 1].node!.term < members[$1 - 1].node!.term }),
                !members[leader - 1].node!.log.entries.contains(where: { $0.command == encoded })
            {
                propose(at: leader, command)
            }
            tick()
        }
        fail("progress: no command applied on every node \(progressBound) ticks after the network healed")
        return nil
    }

    mutating func randomEvent(_ faults: Faults) {
        var roll = random.below(1_000)
        if roll < faults.total { return randomFault(roll, faults) }
        roll -= faults.total
        // Otherwise mostly messages, sometimes time: about as many deliveries per tick as a
        // leader of five sends and hears back.
        guard !inFlight.isEmpty, random.below(1_000) >= faults.tick else { return tick() }
        let message = inFlight.swapRemoveAt(random.below(inFlight.count))
        let fate = random.below(1_000)
        if fate < faults.drop {
            trace.append(.drop(message))
        } else if fate < faults.drop + faults.duplicate {
            trace.append(.duplicate(message))
            inFlight.append(message)
            deliver(message)
        } else {
            deliver(message)
        }
    }

    /// A crash, restart, partition, heal or proposal, by `roll`.
    mutating func randomFault(_ roll: Int, _ faults: Faults) {
        var live: [RaftNodeID] = []
        var down: [RaftNodeID] = []
        var leaders: [RaftNodeID] = []
        for id in ids {
            if let node = members[id - 1].node {
                live.append(id)
                if node.role == .leader { leaders.append(id) }
            } else {
                down.append(id)
            }
        }
        var roll = roll
        if roll < faults.crash, !live.isEmpty { return crash(live[random.below(live.count)]) }
        roll -= faults.crash
        if roll < faults.restart, !down.isEmpty { return restart(down[random.below(down.count)]) }
        roll -= faults.restart
        if roll < faults.partition {
            var side: Set<RaftNodeID> = []
            for id in ids where random.below(2) == 0 { side.insert(id) }
            return partition(side.count == members.count ? [] : side)
        }
        roll -= faults.partition
        if roll < faults.heal { return heal() }
        roll -= faults.heal
        if roll < faults.isolateLeader, let leader = leaders.max(by: { members[$0 - 1].node!.term < members[$1 - 1].node!.term }) {
            return partition([leader])
        }
        if !live.isEmpty {
            let target = leaders.isEmpty ? live[random.below(live.count)] : leaders[random.below(leaders.count)]
            propose(at: target, nextCommand)
            nextCommand += 1
        }
    }

    /// The seed and every event, enough to replay the run.
    var report: String {
        let violation = violation ?? "none"
        return "seed \(seed), \(members.count) nodes: \(violation)\n" + trace.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: "\n")
    }
}

extension Array {
    /// Removes the element at `index` in O(1), moving the last one into its place.
    mutating func swapRemoveAt(_ index: Int) -> Element {
        swapAt(index, count - 1)
        return removeLast()
    }
}

extension Int {
    /// The simulator's commands are numbers; the log carries them as bytes.
    var bytes: [UInt8] {
        withUnsafeBytes(of: littleEndian) { Array($0) }
    }

    init(bytes: [UInt8]) {
        self = bytes.reversed().reduce(0) { $0 << 8 | Int($1) }
    }
}

func describe(_ entry: RaftEntry) -> String {
    "\(entry.index)/t\(entry.term)" + (entry.command.map { ":\(Int(bytes: $0))" } ?? "")
}

func describe(_ message: RaftMessage) -> String {
    let body: String
    switch message.kind {
    case .preVote(let index, let term): body = "preVote(last \(index)/t\(term))"
    case .preVoteResponse(let granted): body = granted ? "preVote granted" : "preVote refused"
    case .vote(let index, let term): body = "vote(last \(index)/t\(term))"
    case .voteResponse(let granted): body = granted ? "vote granted" : "vote refused"
    case .append(let previous, let previousTerm, let entries, let commit):
        body = "append(after \(previous)/t\(previousTerm), [\(entries.map(describe).joined(separator: " "))], commit \(commit))"
    case .appendAccepted(let match): body = "accepted(match \(match))"
    case .appendRejected(let rejected, let last): body = "rejected(at \(rejected), last \(last))"
    }
    return "\(message.from)→\(message.to) t\(message.term) \(body)"
}
