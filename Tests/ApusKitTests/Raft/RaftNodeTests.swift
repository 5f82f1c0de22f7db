import ApusKit
import Testing

/// Scripted runs, one message at a time, of the cases Raft's safety turns on.
@Suite struct RaftNodeTests {
    /// Nodes addressed by id, with the messages and committed entries they produced.
    struct Cluster {
        var nodes: [RaftNodeID: RaftNode] = [:]
        var outbox: [RaftMessage] = []
        var applied: [RaftNodeID: [RaftEntry]] = [:]

        init(_ nodes: [RaftNode]) {
            for node in nodes { self.nodes[node.id] = node }
        }

        subscript(id: RaftNodeID) -> RaftNode { nodes[id]! }

        mutating func absorb(_ ready: RaftReady, at id: RaftNodeID) {
            outbox += ready.messages
            applied[id, default: []] += ready.committedEntries
        }

        mutating func tick(_ id: RaftNodeID, times: Int = 1) {
            for _ in 0..<times { absorb(nodes[id]!.tick(), at: id) }
        }

        /// Takes the messages sent so far that `where` selects, leaving the rest.
        mutating func take(where select: (RaftMessage) -> Bool = { _ in true }) -> [RaftMessage] {
            let taken = outbox.filter(select)
            outbox.removeAll(where: select)
            return taken
        }

        /// Delivers the first message sent so far that `where` selects.
        mutating func deliverFirst(where select: (RaftMessage) -> Bool) {
            let index = outbox.firstIndex(where: select)!
            let message = outbox.remove(at: index)
            absorb(nodes[message.to]!.step(message), at: message.to)
        }

        /// Delivers the selected messages, then those they cause, until none is left.
        mutating func deliver(where select: (RaftMessage) -> Bool = { _ in true }) {
            var pending = take(where: select)
            while !pending.isEmpty {
                for message in pending { absorb(nodes[message.to]!.step(message), at: message.to) }
                pending = take(where: select)
            }
        }
    }

    static func configuration(maxEntriesPerMessage: Int = 64, preVote: Bool = true) -> RaftConfiguration {
        RaftConfiguration(electionTimeout: 10, heartbeatInterval: 3, maxEntriesPerMessage: maxEntriesPerMessage, preVote: preVote)
    }

    static func cluster(_ count: Int = 3, configuration: RaftConfiguration = configuration()) -> Cluster {
        let ids = Array(1...count)
        return Cluster(ids.map { RaftNode(id: $0, members: ids, configuration: configuration, seed: UInt64($0)) })
    }

    @Test func aLoneNodeElectsItselfAndCommitsOnItsOwn() throws {
        var node = RaftNode(id: 1, members: [1], seed: 7)
        var ticks = 0
        var applied: [RaftEntry] = []
        while node.role != .leader {
            applied += node.tick().committedEntries
            ticks += 1
        }
        // The timeout is drawn from 10 ..< 20 ticks.
        #expect((10..<20).contains(ticks))
        let ready = try node.propose([42])
        #expect(ready.entries.map(\.command) == [[42]])
        applied += ready.committedEntries
        #expect(applied.map(\.command) == [nil, [42]])
        #expect(node.commitIndex == 2)
    }

    @Test func aCampaignWinsAndReplicatesToEveryFollower() throws {
        var cluster = Self.cluster()
        cluster.absorb(cluster.nodes[1]!.campaign(), at: 1)
        cluster.deliver()
        #expect(cluster[1].role == .leader)
        #expect(cluster[1].term == 1)
        #expect(cluster[2].leader == 1 && cluster[3].leader == 1)
        cluster.absorb(try cluster.nodes[1]!.propose([7]), at: 1)
        cluster.deliver()
        // Followers learn the commit index with the next heartbeat.
        cluster.tick(1, times: 3)
        cluster.deliver()
        for id in 1...3 {
            #expect(cluster.applied[id]?.map(\.command) == [nil, [7]])
        }
        let refusal = #expect(throws: RaftNotLeader.self) { try cluster.nodes[2]!.propose([8]) }
        #expect(refusal?.leader == 1)
    }

    @Test func aNodeVotesOnceATermAndOnlyForALogAsUpToDateAsItsOwn() {
        let entries = [RaftEntry(index: 1, term: 1, command: [1])]
        var voter = RaftNode(id: 1, members: [1, 2, 3], configuration: Self.configuration(), seed: 1, hardState: RaftHardState(term: 1), entries: entries)
        let stale = voter.step(RaftMessage(from: 2, to: 1, term: 2, kind: .vote(lastLogIndex: 0, lastLogTerm: 0)))
        #expect(stale.messages.map(\.kind) == [.voteResponse(granted: false)])
        #expect(voter.term == 2)
        let first = voter.step(RaftMessage(from: 3, to: 1, term: 2, kind: .vote(lastLogIndex: 1, lastLogTerm: 1)))
        #expect(first.messages.map(\.kind) == [.voteResponse(granted: true)])
        #expect(first.hardState == RaftHardState(term: 2, vote: 3, commit: 0))
        let second = voter.step(RaftMessage(from: 2, to: 1, term: 2, kind: .vote(lastLogIndex: 5, lastLogTerm: 1)))
        #expect(second.messages.map(\.kind) == [.voteResponse(granted: false)])
    }

    @Test func aFollowerRefusesAGapAndOverwritesAConflictingSuffix() {
        let entries = [RaftEntry(index: 1, term: 1, command: [1]), RaftEntry(index: 2, term: 2, command: [2])]
        var follower = RaftNode(id: 2, members: [1, 2, 3], configuration: Self.configuration(), seed: 2, hardState: RaftHardState(term: 2), entries: entries)
        let gap = follower.step(RaftMessage(from: 1, to: 2, term: 3, kind: .append(prevLogIndex: 4, prevLogTerm: 3, entries: [], leaderCommit: 0)))
        #expect(gap.messages.map(\.kind) == [.appendRejected(rejectedIndex: 4, lastLogIndex: 2)])
        let leaders = [RaftEntry(index: 2, term: 3, command: [9]), RaftEntry(index: 3, term: 3, command: nil)]
        let ready = follower.step(RaftMessage(from: 1, to: 2, term: 3, kind: .append(prevLogIndex: 1, prevLogTerm: 1, entries: leaders, leaderCommit: 3)))
        #expect(ready.entries == leaders)
        #expect(ready.messages.map(\.kind) == [.appendAccepted(matchIndex: 3)])
        #expect(ready.committedEntries.map(\.index) == [1, 2, 3])
        #expect(follower.log.entries.map(\.term) == [1, 3, 3])
    }

    @Test func aFollowerCommitsNoFurtherThanTheMessageProvedItsLogMatches() {
        let entries = [RaftEntry(index: 1, term: 1, command: [1]), RaftEntry(index: 2, term: 1, command: [2])]
        var follower = RaftNode(id: 2, members: [1, 2, 3], configuration: Self.configuration(), seed: 2, hardState: RaftHardState(term: 1), entries: entries)
        // The leader has committed 2, but this heartbeat only proves index 1 matches: index 2 here
        // may not be the leader's.
        let ready = follower.step(RaftMessage(from: 1, to: 2, term: 2, kind: .append(prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 2)))
        #expect(follower.commitIndex == 1)
        #expect(ready.committedEntries.map(\.index) == [1])
    }

    /// Figure 8 of the Raft paper, in three nodes: node 1 holds an entry of term 1 that no one
    /// else has, and wins term 2. Once node 2 stores that entry, a quorum holds it, yet it is not
    /// committed until an entry of term 2 joins it; the broken rule commits it at once.
    @Test(arguments: [RaftConfiguration.CommitRule.currentTermByQuorum, .anyTermByQuorum])
    func anEarlierTermsEntryCommitsOnlyWithOneOfTheLeadersTerm(rule: RaftConfiguration.CommitRule) {
        var configuration = Self.configuration(maxEntriesPerMessage: 1)
        configuration.commitRule = rule
        let old = RaftEntry(index: 1, term: 1, command: [1])
        var cluster = Cluster([
            RaftNode(id: 1, members: [1, 2, 3], configuration: configuration, seed: 1, hardState: RaftHardState(term: 1), entries: [old]),
            RaftNode(id: 2, members: [1, 2, 3], configuration: configuration, seed: 2, hardState: RaftHardState(term: 1)),
            RaftNode(id: 3, members: [1, 2, 3], configuration: configuration, seed: 3, hardState: RaftHardState(term: 1)),
        ])
        cluster.absorb(cluster.nodes[1]!.campaign(), at: 1)
        // Node 3 hears nothing from here on.
        let betweenOneAndTwo: (RaftMessage) -> Bool = { $0.to != 3 && $0.from != 3 }
        while cluster[1].role != .leader { cluster.deliverFirst(where: betweenOneAndTwo) }
        #expect(cluster[1].term == 2)
        // The first append offers the new leader's empty entry after index 1; node 2 lacks
        // index 1, refuses, and is sent the old entry alone, which it accepts.
        for _ in 0..<3 { cluster.deliverFirst(where: betweenOneAndTwo) }
        #expect(cluster[2].log.entries == [old])
        #expect(cluster.outbox.filter(betweenOneAndTwo).map(\.kind) == [.appendAccepted(matchIndex: 1)])
        cluster.deliverFirst(where: betweenOneAndTwo)
        switch rule {
        case .currentTermByQuorum: #expect(cluster[1].commitIndex == 0)
        case .anyTermByQuorum: #expect(cluster[1].commitIndex == 1)
        }
        cluster.deliver(where: betweenOneAndTwo)
        #expect(cluster[1].commitIndex == 2)
    }

    @Test func preVoteKeepsAReturningNodeFromDeposingTheLeader() throws {
        for preVote in [true, false] {
            var cluster = Self.cluster(configuration: Self.configuration(preVote: preVote))
            cluster.absorb(cluster.nodes[1]!.campaign(), at: 1)
            cluster.deliver()
            #expect(cluster[1].role == .leader)
            // Node 3 is cut off for a long while: its campaigns go nowhere.
            for _ in 0..<100 {
                cluster.tick(1)
                cluster.tick(2)
                cluster.tick(3)
                _ = cluster.take { $0.from == 3 || $0.to == 3 }
                cluster.deliver()
            }
            #expect(cluster[1].role == .leader)
            // Back on the network, it answers the leader's heartbeat.
            cluster.tick(1, times: 3)
            cluster.tick(3)
            cluster.deliver()
            if preVote {
                #expect(cluster[3].term == 1)
                #expect(cluster[1].role == .leader && cluster[1].term == 1)
            } else {
                // Its inflated term reaches the leader, which stands down.
                #expect(cluster[3].term > 1)
                #expect(cluster[1].term > 1)
            }
        }
    }

    @Test func aLeaderThatHearsFromNoQuorumStandsDown() {
        var cluster = Self.cluster()
        cluster.absorb(cluster.nodes[1]!.campaign(), at: 1)
        cluster.deliver()
        #expect(cluster[1].role == .leader)
        cluster.tick(1, times: 10)
        // The followers answered its first appends within the first timeout...
        #expect(cluster[1].role == .leader)
        _ = cluster.take()
        cluster.tick(1, times: 10)
        // ...but none of the second.
        #expect(cluster[1].role == .follower)
        #expect(cluster[1].leader == nil)
    }

    @Test func aRestartedNodeResumesFromWhatItPersisted() throws {
        /// What one node wrote to disk.
        struct Disk {
            var hardState = RaftHardState()
            var entries: [RaftEntry] = []

            mutating func persist(_ ready: RaftReady) {
                if let hardState = ready.hardState { self.hardState = hardState }
                if let first = ready.entries.first { entries = Array(entries.prefix(first.index - 1)) + ready.entries }
            }
        }
        var cluster = Self.cluster()
        var disk = Disk()
        // Node 1's readies, persisted as a caller must.
        func deliverAll() {
            while !cluster.outbox.isEmpty {
                let message = cluster.outbox.removeFirst()
                let ready = cluster.nodes[message.to]!.step(message)
                if message.to == 1 { disk.persist(ready) }
                cluster.absorb(ready, at: message.to)
            }
        }
        let campaign = cluster.nodes[1]!.campaign()
        disk.persist(campaign)
        cluster.absorb(campaign, at: 1)
        deliverAll()
        let proposal = try cluster.nodes[1]!.propose([5])
        disk.persist(proposal)
        cluster.absorb(proposal, at: 1)
        deliverAll()
        #expect(cluster[1].commitIndex == 2)

        let before = cluster[1]
        let restarted = RaftNode(id: 1, members: [1, 2, 3], configuration: Self.configuration(), seed: 99, hardState: disk.hardState, entries: disk.entries)
        #expect(restarted.term == before.term)
        #expect(restarted.votedFor == 1)
        #expect(restarted.log == before.log)
        #expect(restarted.commitIndex == 2)
        #expect(restarted.role == .follower)
        // The committed entries are handed out again, for a state machine rebuilt from scratch.
        var again = restarted
        #expect(again.tick().committedEntries.map(\.command) == [nil, [5]])
    }
}
