/// A message between two members of a Raft cluster. The caller carries it; the node never sees
/// a network.
public struct RaftMessage: Sendable, Equatable {
    /// What the message asks or answers.
    public enum Kind: Sendable, Equatable {
        /// Would you vote for me in `term` (one above the sender's own)? Asked before a real
        /// election, so that a node that cannot win does not raise everyone's term.
        case preVote(lastLogIndex: Int, lastLogTerm: Int)
        /// The answer to a pre-vote; a grant carries the term asked about.
        case preVoteResponse(granted: Bool)
        /// Vote for me in `term`.
        case vote(lastLogIndex: Int, lastLogTerm: Int)
        /// The answer to a vote request.
        case voteResponse(granted: Bool)
        /// The leader's entries following `prevLogIndex`, which must hold an entry of
        /// `prevLogTerm`; with no entries, a heartbeat.
        case append(prevLogIndex: Int, prevLogTerm: Int, entries: [RaftEntry], leaderCommit: Int)
        /// The follower's log matches the leader's up to `matchIndex`.
        case appendAccepted(matchIndex: Int)
        /// The follower holds no entry of the given term at `rejectedIndex`; its log ends at
        /// `lastLogIndex`.
        case appendRejected(rejectedIndex: Int, lastLogIndex: Int)
    }

    /// The sender.
    public let from: RaftNodeID
    /// The recipient.
    public let to: RaftNodeID
    /// The sender's term (for a pre-vote, the term it would stand in).
    public let term: Int
    /// The request or answer.
    public let kind: Kind

    /// Creates a message.
    public init(from: RaftNodeID, to: RaftNodeID, term: Int, kind: Kind) {
        self.from = from
        self.to = to
        self.term = term
        self.kind = kind
    }
}

