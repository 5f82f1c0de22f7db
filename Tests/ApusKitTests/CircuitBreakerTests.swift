import ApusKit
import Testing

@Suite struct CircuitBreakerTests {
    @Test func opensAfterTheThresholdOfConsecutiveFailures() {
        var breaker = CircuitBreaker(failureThreshold: 3, openDuration: 30)
        breaker.recordFailure(now: 0)
        breaker.recordFailure(now: 1)
        breaker.recordSuccess()
        breaker.recordFailure(now: 2)
        breaker.recordFailure(now: 3)
        #expect(breaker.state == .closed(consecutiveFailures: 2))
        breaker.recordFailure(now: 4)
        #expect(breaker.state == .open(until: 34))
        let allowed1 = breaker.allowCall(now: 33.9)
        #expect(!allowed1)
        #expect(breaker.stateName == "open")
    }

    @Test func letsOneTrialThroughWhenHalfOpen() {
        var breaker = CircuitBreaker(failureThreshold: 1, openDuration: 10)
        breaker.recordFailure(now: 0)
        let allowed2 = breaker.allowCall(now: 10)
        #expect(allowed2)
        #expect(breaker.state == .halfOpen(trialInFlight: true))
        let allowed3 = breaker.allowCall(now: 10.1)
        #expect(!allowed3)
    }

    @Test func aFailedTrialReopensAndASuccessfulOneCloses() {
        var breaker = CircuitBreaker(failureThreshold: 1, openDuration: 10)
        breaker.recordFailure(now: 0)
        _ = breaker.allowCall(now: 10)
        breaker.recordFailure(now: 10)
        #expect(breaker.state == .open(until: 20))
        let allowed4 = breaker.allowCall(now: 20)
        #expect(allowed4)
        breaker.recordSuccess()
        #expect(breaker.state == .closed(consecutiveFailures: 0))
        let allowed5 = breaker.allowCall(now: 20)
        #expect(allowed5)
    }
}
