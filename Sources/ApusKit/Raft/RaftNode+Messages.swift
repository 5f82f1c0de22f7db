extension RaftNode {
    /// Routes a message: first by its term against ours, then by its kind.
    mutating func handle(_ message: RaftMessage) {
        if message.term > term {
            switch message.kind {
            case .preVote, .vote:
                // A node that hears from a leader ignores candidates until the leader could have
                // failed: a returning node cannot depose a working leader.
                if inLease { return }
                // A pre-vote asks about a term in the sender's future: ours does not change.
                if case .vote = message.kind { becomeFollower(term: message.term, leader: nil) }
            case .preVoteResponse(granted: true):
                // A grant carries the term we would stand in, not the voter's.
                break
            case .append:
                becomeFollower(term: message.term, leader: message.from)
            default:
                becomeFollower(term: message.term, leader: nil)
            }
        } else if message.term < term {
            // An old leader or candidate learns our term from the refusal and stands down;
            // answers to old requests are dropped.
            switch message.kind {
            case .append(let previous, _, _, _):
                send(to: message.from, .appendRejected(rejectedIndex: previous, lastLogIndex: log.lastIndex))
            case .preVote:
                send(to: message.from, .preVoteResponse(granted: false))
            case .vote:
                send(to: message.from, .voteResponse(granted: false))
            default:
                break
            }
            return
        }

        switch message.kind {
        case .preVote(let lastIndex, let lastTerm):
            let granted = message.term > term && log.isUpToDate(lastIndex: lastIndex, lastTerm: lastTerm)
            send(to: message.from, term: granted ? message.term : term, .preVoteResponse(granted: granted))
        case .vote(let lastIndex, let lastTerm):
            let free = votedFor == message.from || (votedFor == nil && leader == nil)
            let granted = free && log.isUpToDate(lastIndex: lastIndex, lastTerm: lastTerm)
            if granted {
                votedFor = message.from
                resetElectionTimer()
            }
            send(to: message.from, .voteResponse(granted: granted))
        case .preVoteResponse(let granted):
            let expectedTerm = granted ? term + 1 : term
            if role == .preCandidate, message.term == expectedTerm { tally(message.from, granted: granted) }
        case .voteResponse(let granted):
            if role == .candidate { tally(message.from, granted: granted) }
        case .append(let previous, let previousTerm, let entries, let leaderCommit):
            // Only one leader per term: a (pre-)candidate of this term defers to it.
            guard role != .leader else { return }
            if role != .follower || leader != message.from { becomeFollower(term: term, leader: message.from) }
            electionElapsed = 0
            handleAppend(from: message.from, previous: previous, previousTerm: previousTerm, entries: entries, leaderCommit: leaderCommit)
        case .appendAccepted(let match):
            if role == .leader { handleAccepted(from: message.from, match: match) }
        case .appendRejected(let rejected, let lastIndex):
            if role == .leader { handleRejected(from: message.from, rejected: rejected, lastIndex: lastIndex) }
        }
    }
}
