@testable import ApusCore
import ApusKit
import Foundation
import ApusTesting
import Testing

/// What follows a failed job attempt, with the clock and the jitter fixed.
@Suite struct RetryDecisionTests {
    struct Refused: Error {}

    let now = Date(timeIntervalSince1970: 1_000_000)
    /// A base of 1 s doubling up to a 60 s cap.
    let policy = JobRetryPolicy(backoff: ExponentialBackoff(base: 1, cap: 60))

    func wait(_ decision: JobRetryPolicy.Decision) -> Double? {
        guard case .retry(let at) = decision else { return nil }
        return at.timeIntervalSince(now)
    }

    @Test func theBackoffCeilingDoublesWithEachAttemptUpToTheCap() {
        let ceilings = (1...9).map { attempt in
            wait(policy.decide(attempt: attempt, maxAttempts: 10, error: Refused(), now: now, jitter: 1))
        }
        #expect(ceilings == [1, 2, 4, 8, 16, 32, 60, 60, 60])
    }

    @Test func theJitterIsTheFractionOfTheCeilingWaited() {
        #expect(wait(policy.decide(attempt: 3, maxAttempts: 10, error: Refused(), now: now, jitter: 0)) == 0)
        #expect(wait(policy.decide(attempt: 3, maxAttempts: 10, error: Refused(), now: now, jitter: 0.25)) == 1)
        #expect(wait(policy.decide(attempt: 3, maxAttempts: 10, error: Refused(), now: now, jitter: 0.5)) == 2)
        // A fraction out of range is held to it.
        #expect(wait(policy.decide(attempt: 3, maxAttempts: 10, error: Refused(), now: now, jitter: 7)) == 4)
        #expect(wait(policy.decide(attempt: 3, maxAttempts: 10, error: Refused(), now: now, jitter: -1)) == 0)
    }

    @Test func drawnJitterSpreadsOverTheWholeRangeWithinTheCeiling() throws {
        var generator = SeededGenerator(seed: 7)
        let waits = try (0..<1000).map { _ in
            try #require(wait(policy.decide(attempt: 4, maxAttempts: 10, error: Refused(), now: now, using: &generator)))
        }
        #expect(waits.allSatisfy { (0...8).contains($0) })
        #expect(waits.contains { $0 < 1 })
        #expect(waits.contains { $0 > 7 })
        // The same seed draws the same waits.
        var again = SeededGenerator(seed: 7)
        let repeated = (0..<1000).map { _ in wait(policy.decide(attempt: 4, maxAttempts: 10, error: Refused(), now: now, using: &again)) }
        #expect(repeated == waits)
    }

    @Test func aRetryAfterWinsOverTheBackoffAndItsCap() {
        let asked = JobFailure.retry(after: 90, reason: "429 from the provider")
        #expect(wait(policy.decide(attempt: 1, maxAttempts: 10, error: asked, now: now, jitter: 0)) == 90)
        let soon = JobFailure.retry(after: 0.5, reason: "503")
        #expect(wait(policy.decide(attempt: 9, maxAttempts: 10, error: soon, now: now, jitter: 1)) == 0.5)
    }

    @Test func aRetryAfterIsHeldToAnHourOrTheCapIfLonger() {
        let tomorrow = JobFailure.retry(after: 86_400, reason: "come back tomorrow")
        #expect(wait(policy.decide(attempt: 1, maxAttempts: 10, error: tomorrow, now: now, jitter: 0)) == 3600)
        let patient = JobRetryPolicy(backoff: ExponentialBackoff(base: 1, cap: 7200))
        #expect(patient.longestRequestedWait == 7200)
        #expect(wait(patient.decide(attempt: 1, maxAttempts: 10, error: tomorrow, now: now, jitter: 0)) == 7200)
        let backwards = JobFailure.retry(after: -5, reason: "a clock off by a little")
        #expect(wait(policy.decide(attempt: 1, maxAttempts: 10, error: backwards, now: now, jitter: 1)) == 0)
    }

    @Test func aPermanentFailureDeadLettersWithAttemptsLeft() {
        #expect(policy.decide(attempt: 1, maxAttempts: 10, error: JobFailure.permanent("410 Gone"), now: now, jitter: 0) == .deadLetter)
    }

    @Test func theLastAttemptDeadLettersWhateverWasThrown() {
        #expect(policy.decide(attempt: 3, maxAttempts: 3, error: Refused(), now: now, jitter: 0) == .deadLetter)
        #expect(policy.decide(attempt: 3, maxAttempts: 3, error: JobFailure.retry(after: 1, reason: "busy"), now: now, jitter: 0) == .deadLetter)
        #expect(policy.decide(attempt: 4, maxAttempts: 3, error: Refused(), now: now, jitter: 0) == .deadLetter)
        #expect(policy.decide(attempt: 2, maxAttempts: 3, error: Refused(), now: now, jitter: 0) == .retry(at: now))
    }

    @Test func theSettingsGiveTheScheduleInSeconds() {
        var settings = JobSettings()
        settings.backoffBaseMilliseconds = 250
        settings.backoffCapMilliseconds = 2000
        let policy = JobRetryPolicy(settings: settings)
        #expect(policy.backoff == ExponentialBackoff(base: 0.25, cap: 2))
        #expect(policy.longestRequestedWait == 3600)
    }
}
