/// How a Raft node keeps time and batches its work. Times are in ticks: the caller decides what
/// a tick is (say 100 ms) and calls `tick()` that often.
public struct RaftConfiguration: Sendable {
    /// Ticks without a leader before a follower stands for election; each node draws its actual
    /// timeout from `electionTimeout ..< 2 * electionTimeout` so that candidates rarely collide.
    public var electionTimeout: Int
    /// Ticks between a leader's heartbeats (at most `electionTimeout / 2` to be useful).
    public var heartbeatInterval: Int
    /// The most entries one append message carries.
    public var maxEntriesPerMessage: Int
    /// Whether a node asks for pre-votes before raising its term (Raft thesis 9.6), so that a
    /// node cut off from the cluster does not depose a working leader when it returns.
    public var preVote: Bool
    /// Whether a leader steps down after an election timeout without hearing from a quorum, and
    /// followers that hear from a leader ignore vote requests meanwhile.
    public var checkQuorum: Bool
    /// Which entries a leader counts as committed; only tests choose another rule.
    package var commitRule: CommitRule = .currentTermByQuorum

    /// Creates a configuration.
    public init(
        electionTimeout: Int = 10,
        heartbeatInterval: Int = 1,
        maxEntriesPerMessage: Int = 64,
        preVote: Bool = true,
        checkQuorum: Bool = true
    ) {
        precondition(electionTimeout > 0 && heartbeatInterval > 0 && maxEntriesPerMessage > 0, "Raft timings and batch size must be positive")
        self.electionTimeout = electionTimeout
        self.heartbeatInterval = heartbeatInterval
        self.maxEntriesPerMessage = maxEntriesPerMessage
        self.preVote = preVote
        self.checkQuorum = checkQuorum
    }

    /// The rule a leader commits by.
    package enum CommitRule: Sendable {
        /// Raft's rule: an entry of the leader's own term stored by a quorum, and with it every
        /// entry before it.
        case currentTermByQuorum
        /// The classic mistake (Figure 8 of the Raft paper): any entry stored by a quorum. The
        /// simulator must catch it.
        case anyTermByQuorum
    }
}
