import ApusCore
import Foundation

/// Whether a webhook endpoint still gets deliveries, with time passed in.
///
/// Healthy: a failed delivery starts the failure clock (failing). Failing: a delivered one makes
/// the endpoint healthy again; a failure once the clock has run for `disableAfter` seconds
/// disables it. An endpoint that answers 410 Gone is disabled at once, whatever the clock.
/// Disabled: deliveries stop until the owner enables the endpoint again.
struct EndpointHealth: Sendable, Equatable {
    /// Where the endpoint stands.
    enum State: Sendable, Equatable {
        case healthy
        case failing(since: Date)
        case disabled(reason: String)
    }

    /// Seconds of failing without a success in between after which the endpoint is disabled.
    let disableAfter: Double
    /// The current state.
    private(set) var state: State

    /// An endpoint in `state`.
    init(disableAfter: Double, state: State = .healthy) {
        self.disableAfter = disableAfter
        self.state = state
    }

    /// The health `endpoint` was stored with.
    init(_ endpoint: WebhookEndpoint, disableAfter: Double) {
        let state: State = if endpoint.disabled {
            .disabled(reason: endpoint.disabledReason ?? "disabled")
        } else if let since = endpoint.failingSince {
            .failing(since: since)
        } else {
            .healthy
        }
        self.init(disableAfter: disableAfter, state: state)
    }

    /// Reports a delivery the endpoint accepted.
    mutating func recordSuccess() {
        guard case .failing = state else { return }
        state = .healthy
    }

    /// Reports a failed delivery at `now`, the endpoint's answer (or the transport error) in `reason`.
    mutating func recordFailure(now: Date, reason: String) {
        let since: Date
        switch state {
        case .healthy: since = now
        case .failing(let start): since = start
        case .disabled: return
        }
        let failedTooLong = now.timeIntervalSince(since) >= disableAfter
        state = failedTooLong ? .disabled(reason: "failing since \(Timestamp.format(since)): \(reason)") : .failing(since: since)
    }

    /// Reports that the endpoint answered 410 Gone.
    mutating func recordGone() {
        guard !isDisabled else { return }
        state = .disabled(reason: "the endpoint answered 410 Gone")
    }

    /// Why deliveries to the endpoint have stopped, if they have.
    var disabledReason: String? {
        if case .disabled(let reason) = state { reason } else { nil }
    }

    /// Whether deliveries to the endpoint have stopped.
    var isDisabled: Bool { disabledReason != nil }
}
