import ServiceLifecycle

/// On SIGTERM, closes every socket of the node with 1001 before the server starts draining, and
/// waits (a moment at most) for them to go: clients reconnect to another node at once instead of
/// holding this one for its whole grace period.
struct SocketShutdown: Service {
    let sockets: OpenSockets

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return
        }
        sockets.closeAll(Socket.CloseCode.goingAway, reason: "the node is stopping")
        for _ in 0..<100 where sockets.count > 0 {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
