/// What a node asks of its caller after each input, in this order: persist `hardState` and
/// `entries`, send `messages`, then apply `committedEntries` to the state machine.
public struct RaftReady: Sendable, Equatable {
    /// The hard state to persist, when it changed.
    public var hardState: RaftHardState?
    /// Log entries to persist: drop every stored entry from `entries.first.index` on, then append
    /// these (a follower overwrites a conflicting suffix this way).
    public var entries: [RaftEntry] = []
    /// Messages to send, in any order; the network may lose, repeat or reorder them.
    public var messages: [RaftMessage] = []
    /// Entries newly known to be committed, in log order, to apply.
    public var committedEntries: [RaftEntry] = []

    /// Whether there is nothing to do.
    public var isEmpty: Bool {
        hardState == nil && entries.isEmpty && messages.isEmpty && committedEntries.isEmpty
    }
}

