import Synchronization

/// At most `limit` requests in flight to each host; the others wait in arrival order.
///
/// A released slot passes straight to the first waiter, so a steady stream of newcomers cannot
/// overtake it. A waiter that is cancelled or times out leaves the queue without taking a slot.
final class InFlightLimit: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Host {
        var inFlight = 0
        var waiters: [Waiter] = []
    }

    private struct State {
        var hosts: [String: Host] = [:]
        var nextWaiterID: UInt64 = 0
    }

    /// Requests in flight per host at most.
    let limit: Int
    private let state = Mutex(State())

    /// Creates a limit of `limit` (at least one) per host.
    init(limit: Int) {
        precondition(limit > 0, "a concurrency limit must allow at least one request")
        self.limit = limit
    }

    /// Takes a slot for `host`, waiting until one is free or `deadline` passes; `false` when
    /// none was taken (deadline or cancellation). A `true` must be paired with `release(host)`.
    func acquire(_ host: String, until deadline: ContinuousClock.Instant) async -> Bool {
        if tryAcquire(host) { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await self.acquire(host)) != nil }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return false
            }
            // The first to finish cancels the other; a slot granted in the meantime still
            // shows up as `true` and is kept.
            var acquired = false
            for await result in group {
                acquired = acquired || result
                group.cancelAll()
            }
            return acquired
        }
    }

    /// Gives the slot back, to the first waiter if there is one.
    func release(_ host: String) {
        let next: Waiter? = state.withLock { state in
            guard var entry = state.hosts[host] else { preconditionFailure("released a slot never taken") }
            if entry.waiters.isEmpty {
                entry.inFlight -= 1
                // Forget idle hosts so the table holds only hosts in use.
                state.hosts[host] = entry.inFlight == 0 ? nil : entry
                return nil
            }
            let first = entry.waiters.removeFirst()
            state.hosts[host] = entry
            return first
        }
        next?.continuation.resume()
    }

    /// Requests waiting for a slot of `host` now.
    func waiting(_ host: String) -> Int {
        state.withLock { $0.hosts[host]?.waiters.count ?? 0 }
    }

    /// Requests in flight to `host` now.
    func inFlight(_ host: String) -> Int {
        state.withLock { $0.hosts[host]?.inFlight ?? 0 }
    }

    private func tryAcquire(_ host: String) -> Bool {
        state.withLock { state in
            var entry = state.hosts[host, default: Host()]
            guard entry.inFlight < limit, entry.waiters.isEmpty else { return false }
            entry.inFlight += 1
            state.hosts[host] = entry
            return true
        }
    }

    /// Waits for a slot; throws `CancellationError`, holding none, when cancelled first.
    private func acquire(_ host: String) async throws {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Under the lock, cancellation is either already visible here or its handler
                // runs after the waiter is queued and finds it.
                let granted: Bool? = state.withLock { state in
                    if Task.isCancelled { return nil }
                    var entry = state.hosts[host, default: Host()]
                    defer { state.hosts[host] = entry }
                    if entry.inFlight < limit, entry.waiters.isEmpty {
                        entry.inFlight += 1
                        return true
                    }
                    entry.waiters.append(Waiter(id: id, continuation: continuation))
                    return false
                }
                switch granted {
                case nil: continuation.resume(throwing: CancellationError())
                case true: continuation.resume()
                case false: break
                }
            }
        } onCancel: {
            let removed: Waiter? = state.withLock { state in
                guard var entry = state.hosts[host], let index = entry.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                let waiter = entry.waiters.remove(at: index)
                state.hosts[host] = entry.inFlight == 0 && entry.waiters.isEmpty ? nil : entry
                return waiter
            }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }
}
