/// Group commit for checkouts on one node: a checkout that arrives while `writers` batches are
/// being written waits, and every checkout waiting when a writer frees up goes into its next
/// transaction together. One commit (one flush of the log, one pass over the hot row's lock)
/// then acknowledges many checkouts. Nobody waits for a timer: under light load a checkout is
/// written at once, alone; batches grow only with the queue.
///
/// Each checkout is still decided on its own, all or nothing (`ReservationAllocation`), and is
/// answered only after the transaction holding it committed, so an acknowledged reservation
/// survives a crash exactly as one written alone.
actor CheckoutCombiner {
    typealias Writer = @Sendable ([PendingReservation]) async -> [Result<Checkout, any Error>]

    private struct Waiting {
        var pending: PendingReservation
        var continuation: CheckedContinuation<Checkout, any Error>
        var write: Writer
    }

    private let writers: Int
    /// At most this many checkout lines in one batch (bounds a statement's bind parameters); a
    /// checkout with more goes alone.
    private let maximumLines: Int
    private var waiting: [Waiting] = []
    private var running = 0

    init(writers: Int, maximumLines: Int = 256) {
        precondition(writers >= 1, "a combiner needs a writer")
        self.writers = writers
        self.maximumLines = maximumLines
    }

    /// Writes `pending` in the next batch, which `write` commits (answering one result per
    /// checkout, in order); returns its checkout once that batch committed, or throws what
    /// refused it (a 409 problem, a conflict that outlasted the retries, ...).
    func submit(_ pending: PendingReservation, write: @escaping Writer) async throws -> Checkout {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append(Waiting(pending: pending, continuation: continuation, write: write))
            startWriters()
        }
    }

    private func startWriters() {
        while running < writers, !waiting.isEmpty {
            var lines = 0
            let count = waiting.prefix { entry in
                lines += entry.pending.lines.count
                return lines <= maximumLines
            }.count
            let batch = Array(waiting.prefix(max(count, 1)))
            waiting.removeFirst(batch.count)
            running += 1
            Task {
                let results = await batch[0].write(batch.map(\.pending))
                precondition(results.count == batch.count, "a batch writer answers every checkout")
                for (entry, result) in zip(batch, results) { entry.continuation.resume(with: result) }
                finished()
            }
        }
    }

    private func finished() {
        running -= 1
        startWriters()
    }
}
