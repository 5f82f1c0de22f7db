extension RaftNode {
    /// A leader's new entry of its own term.
    mutating func appendToOwnLog(_ command: [UInt8]?) {
        let index = log.lastIndex + 1
        log.append(RaftEntry(index: index, term: term, command: command))
        logChanged(from: index)
        // A cluster of one commits on its own say.
        advanceCommit()
    }

    mutating func broadcastAppend() {
        for member in members where member != id { sendAppend(to: member) }
    }

    /// Sends `member` the entries from the next one it needs, with the entry before them for the
    /// consistency check; with nothing new, a heartbeat that still carries the check and the
    /// commit index.
    mutating func sendAppend(to member: RaftNodeID) {
        guard let next = progress[member]?.next else { return }
        let previous = next - 1
        send(
            to: member,
            .append(
                prevLogIndex: previous,
                prevLogTerm: log.term(at: previous)!,
                entries: log.entries(from: next, limit: configuration.maxEntriesPerMessage),
                leaderCommit: commitIndex
            ))
    }

    /// A follower takes the leader's entries if its log holds the entry before them.
    mutating func handleAppend(from leader: RaftNodeID, previous: Int, previousTerm: Int, entries: [RaftEntry], leaderCommit: Int) {
        // Entries up to the commit index are already the leader's (every leader holds every
        // committed entry): an old message about them changes nothing.
        if previous < commitIndex {
            send(to: leader, .appendAccepted(matchIndex: commitIndex))
            return
        }
        guard log.term(at: previous) == previousTerm else {
            send(to: leader, .appendRejected(rejectedIndex: previous, lastLogIndex: log.lastIndex))
            return
        }
        if let firstWritten = log.merge(entries, after: previous) { logChanged(from: firstWritten) }
        // Only what this message proved to match may be committed: the log may run on past it
        // with entries the leader does not have.
        let lastNew = previous + entries.count
        commitIndex = max(commitIndex, min(leaderCommit, lastNew))
        send(to: leader, .appendAccepted(matchIndex: lastNew))
    }

    mutating func handleAccepted(from member: RaftNodeID, match: Int) {
        guard var state = progress[member] else { return }
        state.recentlyActive = true
        // Answers can come late or twice: what a follower matched in this term only grows. (A
        // correct cluster never reports a match past the leader's log; the bound keeps a broken
        // one, in the simulator's tests, from sending beyond it.)
        let match = min(match, log.lastIndex)
        state.match = max(state.match, match)
        state.next = max(state.next, match + 1)
        progress[member] = state
        advanceCommit()
        if state.next <= log.lastIndex { sendAppend(to: member) }
    }

    mutating func handleRejected(from member: RaftNodeID, rejected: Int, lastIndex: Int) {
        guard var state = progress[member] else { return }
        state.recentlyActive = true
        // Only a refusal of the entry last offered moves `next` back; older ones are stale.
        guard rejected == state.next - 1 else {
            progress[member] = state
            return
        }
        state.next = max(state.match + 1, min(rejected, lastIndex + 1))
        progress[member] = state
        sendAppend(to: member)
    }

    /// Commits the highest index a quorum stores, if its entry is of this leader's term;
    /// everything before it commits with it.
    mutating func advanceCommit() {
        guard role == .leader else { return }
        var matches = progress.values.map { $0.match }
        matches.append(log.lastIndex)
        matches.sort(by: >)
        let candidate = matches[quorum - 1]
        guard candidate > commitIndex else { return }
        switch configuration.commitRule {
        case .currentTermByQuorum:
            // An entry of an earlier term on a quorum can still be overwritten (Raft §5.4.2).
            if log.term(at: candidate) == term { commitIndex = candidate }
        case .anyTermByQuorum:
            commitIndex = candidate
        }
    }
}
