/// A gate a test opens: whoever waits on it is held until then, so one side of a race can be
/// stopped at a chosen point while the test runs the other side.
public actor Gate {
    private var opened = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    /// Returns once the gate is open (at once if it already is).
    public func wait() async {
        if opened { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Whether the gate has been opened.
    public var isOpen: Bool { opened }

    /// Opens the gate for good, letting every waiter through.
    public func open() {
        opened = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}
