import ApusCore
import ApusTesting

/// Everything one bus subscriber hears, recorded by a task that follows its stream until
/// ``stop()``, which ends the subscription.
final class Inbox: Sendable {
    /// The payload ``untilListening(_:on:_:)`` publishes; left out of ``messages``.
    static let probe = "probe"

    private let heard: Seen<ClusterMessage>
    private let follower: Task<Void, Never>

    init(_ stream: AsyncStream<ClusterMessage>) {
        let heard = Seen<ClusterMessage>()
        self.heard = heard
        follower = Task {
            for await message in stream { await heard.append(message) }
        }
    }

    deinit { follower.cancel() }

    /// The payloads heard, in order, probes left out.
    var messages: [String] {
        get async {
            await heard.values.compactMap { if case .message(let payload) = $0, payload != Self.probe { payload } else { nil } }
        }
    }

    /// How many times the subscriber was told to resynchronise.
    var resynchronizations: Int {
        get async { await heard.values.count { $0 == .resynchronize } }
    }

    /// Ends the subscription.
    func stop() { follower.cancel() }

    /// Publishes probes on `channel` until every one of `inboxes` has heard one: from then on the
    /// bus delivers there, however it listens.
    static func untilListening(_ bus: any ClusterBus, on channel: String, _ inboxes: [Inbox]) async throws -> Bool {
        try await eventually {
            try await bus.publish(channel, probe)
            try await Task.sleep(for: .milliseconds(50))
            for inbox in inboxes where !(await inbox.heard.values.contains(.message(probe))) { return false }
            return true
        }
    }
}
