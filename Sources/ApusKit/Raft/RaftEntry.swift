/// Identifies a member of a Raft cluster.
public typealias RaftNodeID = Int

/// One entry of the replicated log.
public struct RaftEntry: Sendable, Equatable {
    /// The entry's position in the log, from 1.
    public let index: Int
    /// The term of the leader that created it.
    public let term: Int
    /// The command, encoded as the state machine likes (the log only stores and ships it);
    /// `nil` for the empty entry a new leader appends, which lets it commit the entries of
    /// earlier terms it holds.
    public let command: [UInt8]?

    /// Creates an entry.
    public init(index: Int, term: Int, command: [UInt8]?) {
        self.index = index
        self.term = term
        self.command = command
    }
}

/// What a node must persist before it sends a message or answers the next input: its term, its
/// vote in that term and the highest index it knows to be committed.
public struct RaftHardState: Sendable, Equatable {
    /// The latest term the node has seen.
    public var term: Int
    /// The candidate it voted for in `term`, if any.
    public var vote: RaftNodeID?
    /// The highest log index known to be committed.
    public var commit: Int

    /// Creates a hard state; the default is a node that has never run.
    public init(term: Int = 0, vote: RaftNodeID? = nil, commit: Int = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}

