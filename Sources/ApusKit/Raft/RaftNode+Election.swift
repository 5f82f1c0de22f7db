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

    /// Whether a leader was heard from within the election timeout.
    var inLease: Bool {
        configuration.checkQuorum && leader != nil && electionElapsed < configuration.electionTimeout
    }

    /// Starts a pre-vote round, or an election when pre-vote is off.
    mutating func startElection() {
        if configuration.preVote {
            becomePreCandidate()
        } else {
            becomeCandidate()
        }
    }

    mutating func becomeFollower(term newTerm: Int, leader newLeader: RaftNodeID?) {
        if newTerm > term {
            term = newTerm
            votedFor = nil
        }
        role = .follower
        leader = newLeader
        progress = [:]
        votes = [:]
        resetElectionTimer()
    }

    mutating func becomePreCandidate() {
        role = .preCandidate
        leader = nil
        votes = [id: true]
        resetElectionTimer()
        if votes.count >= quorum { return becomeCandidate() }
        for member in members where member != id {
            send(to: member, term: term + 1, .preVote(lastLogIndex: log.lastIndex, lastLogTerm: log.lastTerm))
        }
    }

    mutating func becomeCandidate() {
        role = .candidate
        term += 1
        votedFor = id
        leader = nil
        votes = [id: true]
        resetElectionTimer()
        if votes.count >= quorum { return becomeLeader() }
        for member in members where member != id {
            send(to: member, .vote(lastLogIndex: log.lastIndex, lastLogTerm: log.lastTerm))
        }
    }

    /// Counts an answer to the current campaign and acts once a quorum agrees either way.
    mutating func tally(_ voter: RaftNodeID, granted: Bool) {
        votes[voter] = granted
        let grants = votes.values.count { $0 }
        if grants >= quorum {
            if role == .preCandidate { becomeCandidate() } else { becomeLeader() }
        } else if votes.count - grants >= quorum {
            becomeFollower(term: term, leader: nil)
        }
    }

    mutating func becomeLeader() {
        role = .leader
        leader = id
        votes = [:]
        heartbeatElapsed = 0
        electionElapsed = 0
        progress = [:]
        for member in members where member != id {
            progress[member] = Progress(next: log.lastIndex + 1)
        }
        // An empty entry of the new term: once it commits, so does everything before it, which
        // the leader could not commit by counting replicas (Raft §5.4.2).
        appendToOwnLog(nil)
        broadcastAppend()
    }

    /// A leader that has not heard from a quorum within an election timeout steps down, so a
    /// leader cut off in a minority stops claiming the role.
    mutating func checkQuorum() {
        let active = 1 + progress.values.count { $0.recentlyActive }
        for member in progress.keys { progress[member]!.recentlyActive = false }
        if active < quorum { becomeFollower(term: term, leader: nil) }
    }
}
