/// A fixed set of connections lent out one task at a time; callers wait in arrival order.
actor ConnectionPool<Connection: Sendable> {
    private var idle: [Connection]
    private var waiting: [CheckedContinuation<Connection, Never>] = []
    private var waitingHead = 0

    init(_ connections: [Connection]) {
        precondition(!connections.isEmpty, "a pool needs at least one connection")
        self.idle = connections
    }

    func lease() async -> Connection {
        if let connection = idle.popLast() { return connection }
        return await withCheckedContinuation { waiting.append($0) }
    }

    func giveBack(_ connection: Connection) {
        if waitingHead < waiting.count {
            let next = waiting[waitingHead]
            waitingHead += 1
            if waitingHead > 64, waitingHead * 2 > waiting.count {
                waiting.removeFirst(waitingHead)
                waitingHead = 0
            }
            next.resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    /// How many callers wait for a connection now.
    var waiters: Int { waiting.count - waitingHead }

    /// Takes every idle connection out, for closing.
    func drain() -> [Connection] {
        defer { idle.removeAll() }
        return idle
    }
}

extension ConnectionPool {
    /// Lends a connection for the duration of `body`.
    nonisolated func withConnection<Result>(_ body: (Connection) async throws -> Result) async throws -> Result {
        let connection = await lease()
        do {
            let result = try await body(connection)
            await giveBack(connection)
            return result
        } catch {
            await giveBack(connection)
            throw error
        }
    }
}
