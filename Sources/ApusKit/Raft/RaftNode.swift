/// One member of a Raft cluster as a pure state machine, in the manner of etcd's raft library:
/// leader election with randomised timeouts and pre-vote, log replication, and commitment by
/// quorum of entries from the leader's own term, for a fixed set of members.
///
/// The node has no network, no storage, no clock and no randomness of its own. The caller feeds
/// it inputs (`tick()` for time, `step(_:)` for a message that arrived, `propose(_:)` for a new
/// command) and handles the `RaftReady` each returns before the next input: persist, send,
/// apply. The election timeouts are drawn from the `seed` the caller passes, so a run replays
/// exactly. Commands are bytes, as in etcd: the node stores and ships them and never looks
/// inside. There are no snapshots: a restarted node gets its whole persisted log back and hands
/// out the committed entries again from the first.
public struct RaftNode: Sendable {
    /// Where a node stands in its term.
    public enum Role: Sendable, Equatable {
        /// Following a leader, or waiting for one.
        case follower
        /// Asking for pre-votes, its term not yet raised.
        case preCandidate
        /// Standing for election in its term.
        case candidate
        /// Leading its term.
        case leader
    }

    /// What a leader knows of one follower's log.
    struct Progress: Sendable {
        /// The highest index known to match the leader's log.
        var match = 0
        /// The index of the next entry to send.
        var next: Int
        /// Whether the follower answered since the last quorum check.
        var recentlyActive = false
    }

    /// This node.
    public let id: RaftNodeID
    /// Every member of the cluster, this node included, in ascending order.
    public let members: [RaftNodeID]
    /// Timings and switches.
    public let configuration: RaftConfiguration

    /// The role in the current term.
    public internal(set) var role: Role = .follower
    /// The latest term this node has seen.
    public internal(set) var term: Int
    /// The candidate this node voted for in `term`.
    public internal(set) var votedFor: RaftNodeID?
    /// The leader of `term`, once known.
    public internal(set) var leader: RaftNodeID?
    /// The node's log.
    public internal(set) var log: RaftLog
    /// The highest index known to be committed.
    public internal(set) var commitIndex: Int

    /// The highest index handed out in `committedEntries`.
    var applied = 0
    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    var randomState: UInt64
    /// Answers to the current (pre-)campaign, by voter.
    var votes: [RaftNodeID: Bool] = [:]
    /// A leader's view of each other member.
    var progress: [RaftNodeID: Progress] = [:]

    // Output gathered during one input, handed out by `makeReady()`.
    var outbox: [RaftMessage] = []
    var firstUnpersistedIndex: Int?
    var persistedHardState: RaftHardState

    /// Creates a node, new or restarted from what it persisted.
    ///
    /// - Parameters:
    ///   - members: every member of the cluster, this node included.
    ///   - seed: the source of this node's election timeouts; give each node, and each restart,
    ///     its own.
    ///   - hardState: the last hard state persisted, for a restart.
    ///   - entries: the persisted log, for a restart.
    public init(
        id: RaftNodeID,
        members: [RaftNodeID],
        configuration: RaftConfiguration = RaftConfiguration(),
        seed: UInt64,
        hardState: RaftHardState = RaftHardState(),
        entries: [RaftEntry] = []
    ) {
        precondition(members.contains(id) && Set(members).count == members.count, "a node is one of a cluster's distinct members")
        self.id = id
        self.members = members.sorted()
        self.configuration = configuration
        self.randomState = seed
        self.term = hardState.term
        self.votedFor = hardState.vote
        self.log = RaftLog(entries)
        precondition(hardState.commit <= log.lastIndex, "a node cannot have committed entries it has not stored")
        self.commitIndex = hardState.commit
        self.persistedHardState = hardState
        resetElectionTimer()
    }

    /// Advances the node's clock by one tick: a follower or candidate that has waited out its
    /// election timeout stands for election; a leader sends heartbeats.
    public mutating func tick() -> RaftReady {
        electionElapsed += 1
        if role == .leader {
            heartbeatElapsed += 1
            if electionElapsed >= configuration.electionTimeout {
                electionElapsed = 0
                if configuration.checkQuorum { checkQuorum() }
            }
            if role == .leader, heartbeatElapsed >= configuration.heartbeatInterval {
                heartbeatElapsed = 0
                broadcastAppend()
            }
        } else if electionElapsed >= randomizedElectionTimeout {
            startElection()
        }
        return makeReady()
    }

    /// Handles a message addressed to this node.
    public mutating func step(_ message: RaftMessage) -> RaftReady {
        precondition(message.to == id, "a message reaches the node it is addressed to")
        handle(message)
        return makeReady()
    }

    /// Appends `command` to the log if this node is the leader, and starts replicating it.
    public mutating func propose(_ command: [UInt8]) throws(RaftNotLeader) -> RaftReady {
        guard role == .leader else { throw RaftNotLeader(leader: leader) }
        appendToOwnLog(command)
        broadcastAppend()
        return makeReady()
    }

    /// Stands for election now instead of waiting for the timeout.
    public mutating func campaign() -> RaftReady {
        if role != .leader { startElection() }
        return makeReady()
    }

    /// The votes a decision needs: a majority of the members.
    var quorum: Int { members.count / 2 + 1 }

    /// Hands out what the last input produced.
    mutating func makeReady() -> RaftReady {
        var ready = RaftReady()
        let hardState = RaftHardState(term: term, vote: votedFor, commit: commitIndex)
        if hardState != persistedHardState {
            ready.hardState = hardState
            persistedHardState = hardState
        }
        if let first = firstUnpersistedIndex {
            ready.entries = log.entries(from: first)
            firstUnpersistedIndex = nil
        }
        swap(&ready.messages, &outbox)
        if commitIndex > applied {
            ready.committedEntries = log.entries(from: applied + 1, limit: commitIndex - applied)
            applied = commitIndex
        }
        return ready
    }

    mutating func send(to recipient: RaftNodeID, term: Int? = nil, _ kind: RaftMessage.Kind) {
        outbox.append(RaftMessage(from: id, to: recipient, term: term ?? self.term, kind: kind))
    }

    /// Notes that the log changed from `index` on, so the next ready asks to persist it.
    mutating func logChanged(from index: Int) {
        firstUnpersistedIndex = min(firstUnpersistedIndex ?? index, index)
    }

    /// Draws a new election timeout from `electionTimeout ..< 2 * electionTimeout` and restarts
    /// the count.
    mutating func resetElectionTimer() {
        electionElapsed = 0
        // SplitMix64: a few lines, and every seed gives a usable sequence.
        randomState &+= 0x9E37_79B9_7F4A_7C15
        var mixed = randomState
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        mixed ^= mixed >> 31
        randomizedElectionTimeout = configuration.electionTimeout + Int(mixed % UInt64(configuration.electionTimeout))
    }
}

/// A proposal made to a node that is not the leader.
public struct RaftNotLeader: Error, Sendable, Equatable {
    /// The leader the node knows of, to retry with.
    public let leader: RaftNodeID?
}

