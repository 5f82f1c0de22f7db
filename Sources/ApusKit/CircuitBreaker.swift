/// The circuit breaker state machine (closed, open, half-open), with time passed in.
///
/// Closed: calls pass; `failureThreshold` failures in a row open the circuit. Open: calls are
/// refused until `openDuration` seconds have passed, then one trial call is let through
/// (half-open). Half-open: a success closes the circuit, a failure opens it again.
public struct CircuitBreaker: Sendable, Equatable {
    /// Where the breaker stands.
    public enum State: Sendable, Equatable {
        case closed(consecutiveFailures: Int)
        case open(until: Double)
        case halfOpen(trialInFlight: Bool)
    }

    /// Failures in a row that open the circuit.
    public let failureThreshold: Int
    /// Seconds the circuit stays open before a trial call.
    public let openDuration: Double
    /// The current state.
    public private(set) var state: State = .closed(consecutiveFailures: 0)

    /// Creates a closed breaker.
    public init(failureThreshold: Int, openDuration: Double) {
        precondition(failureThreshold > 0 && openDuration > 0, "a circuit breaker needs a positive threshold and duration")
        self.failureThreshold = failureThreshold
        self.openDuration = openDuration
    }

    /// Asks to make a call at `now`; `true` means go ahead and report the outcome afterwards.
    public mutating func allowCall(now: Double) -> Bool {
        switch state {
        case .closed:
            return true
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen(trialInFlight: true)
            return true
        case .halfOpen(let trialInFlight):
            guard !trialInFlight else { return false }
            state = .halfOpen(trialInFlight: true)
            return true
        }
    }

    /// Reports a successful call.
    public mutating func recordSuccess() {
        state = .closed(consecutiveFailures: 0)
    }

    /// Reports a failed call at `now`.
    public mutating func recordFailure(now: Double) {
        switch state {
        case .closed(let failures):
            let failures = failures + 1
            state = failures >= failureThreshold ? .open(until: now + openDuration) : .closed(consecutiveFailures: failures)
        case .halfOpen:
            state = .open(until: now + openDuration)
        case .open:
            break
        }
    }

    /// A short name of the state, for metrics and logs.
    public var stateName: String {
        switch state {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "half_open"
        }
    }
}
