extension RaftNode {
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
