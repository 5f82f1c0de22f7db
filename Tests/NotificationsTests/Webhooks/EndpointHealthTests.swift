import ApusCore
import Foundation
@testable import Notifications
import Testing

/// When a webhook endpoint is disabled, with the clock passed in.
@Suite struct EndpointHealthTests {
    /// 2001-09-09T01:46:40Z.
    let start = Date(timeIntervalSince1970: 1_000_000_000)
    let day = 86_400.0

    func health(_ state: EndpointHealth.State = .healthy) -> EndpointHealth {
        EndpointHealth(disableAfter: 5 * day, state: state)
    }

    @Test func aFailureStartsTheClock() {
        var health = health()
        health.recordFailure(now: start, reason: "HTTP 500")
        #expect(health.state == .failing(since: start))
        health.recordFailure(now: start + day, reason: "HTTP 502")
        #expect(health.state == .failing(since: start))
        #expect(!health.isDisabled)
    }

    @Test func failingContinuouslyForDisableAfterDisables() {
        var health = health()
        health.recordFailure(now: start, reason: "HTTP 500")
        health.recordFailure(now: start + 5 * day - 1, reason: "HTTP 500")
        #expect(!health.isDisabled)
        health.recordFailure(now: start + 5 * day, reason: "HTTP 503")
        #expect(health.state == .disabled(reason: "failing since 2001-09-09T01:46:40.000Z: HTTP 503"))
        #expect(health.disabledReason == "failing since 2001-09-09T01:46:40.000Z: HTTP 503")
    }

    @Test func aSuccessResetsTheClock() {
        var health = health()
        health.recordFailure(now: start, reason: "HTTP 500")
        health.recordSuccess()
        #expect(health.state == .healthy)
        // Failing again later counts from then, not from the first failure.
        health.recordFailure(now: start + 4 * day, reason: "timeout")
        health.recordFailure(now: start + 6 * day, reason: "timeout")
        #expect(health.state == .failing(since: start + 4 * day))
        health.recordFailure(now: start + 9 * day, reason: "timeout")
        #expect(health.isDisabled)
    }

    @Test func aSuccessLeavesAHealthyEndpointHealthy() {
        var health = health()
        health.recordSuccess()
        #expect(health.state == .healthy)
    }

    @Test func a410DisablesAtOnceWhateverTheClock() {
        var healthy = health()
        healthy.recordGone()
        #expect(healthy.state == .disabled(reason: "the endpoint answered 410 Gone"))
        var failing = health(.failing(since: start))
        failing.recordGone()
        #expect(failing.disabledReason == "the endpoint answered 410 Gone")
    }

    @Test func aDisabledEndpointStaysDisabledForItsFirstReason() {
        var health = health(.disabled(reason: "disabled by its owner"))
        health.recordGone()
        health.recordFailure(now: start + 30 * day, reason: "HTTP 500")
        health.recordSuccess()
        #expect(health.state == .disabled(reason: "disabled by its owner"))
    }

    @Test func aZeroAllowanceDisablesOnTheFirstFailure() {
        var health = EndpointHealth(disableAfter: 0)
        health.recordFailure(now: start, reason: "connection refused")
        #expect(health.disabledReason == "failing since 2001-09-09T01:46:40.000Z: connection refused")
    }

    @Test func aClockStartedLaterElsewhereDoesNotDisable() {
        // Another node's clock may run a little ahead: a start after `now` is no time failing.
        var health = health(.failing(since: start + 10))
        health.recordFailure(now: start, reason: "HTTP 500")
        #expect(health.state == .failing(since: start + 10))
    }

    @Test func theStoredColumnsGiveTheState() {
        var endpoint = WebhookEndpoint(
            id: "whe_1", url: "https://hooks.example/in", eventTypes: ["*"], disabled: false, disabledReason: nil,
            failingSince: nil, createdAt: start, updatedAt: start, secret: nil
        )
        #expect(EndpointHealth(endpoint, disableAfter: day).state == .healthy)
        endpoint.failingSince = start
        #expect(EndpointHealth(endpoint, disableAfter: day).state == .failing(since: start))
        endpoint.disabled = true
        endpoint.disabledReason = "the endpoint answered 410 Gone"
        #expect(EndpointHealth(endpoint, disableAfter: day).state == .disabled(reason: "the endpoint answered 410 Gone"))
    }
}
