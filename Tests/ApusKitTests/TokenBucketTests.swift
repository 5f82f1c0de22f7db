import ApusKit
import Testing

@Suite struct TokenBucketTests {
    @Test func allowsABurstUpToCapacityThenRefuses() {
        var bucket = TokenBucket(capacity: 3, refillPerSecond: 1, now: 0)
        let decision1 = bucket.take(now: 0)
        #expect(decision1 == .allowed(remaining: 2))
        let decision2 = bucket.take(now: 0)
        #expect(decision2 == .allowed(remaining: 1))
        let decision3 = bucket.take(now: 0)
        #expect(decision3 == .allowed(remaining: 0))
        let decision4 = bucket.take(now: 0)
        #expect(decision4 == .refused(retryAfter: 1))
    }

    @Test func refillsAtTheConfiguredRateWithoutExceedingCapacity() {
        var bucket = TokenBucket(capacity: 2, refillPerSecond: 4, now: 10)
        _ = bucket.take(2, now: 10)
        let decision5 = bucket.take(now: 10.25)
        #expect(decision5 == .allowed(remaining: 0))
        bucket.refill(now: 1000)
        #expect(bucket.tokens == 2)
    }

    @Test func retryAfterIsTheTimeUntilEnoughTokens() {
        var bucket = TokenBucket(capacity: 10, refillPerSecond: 2, now: 0)
        _ = bucket.take(10, now: 0)
        let decision6 = bucket.take(3, now: 0.5)
        #expect(decision6 == .refused(retryAfter: 1))
        let decision7 = bucket.take(3, now: 1.5)
        #expect(decision7 == .allowed(remaining: 0))
    }

    @Test func aClockGoingBackwardsEarnsNothing() {
        var bucket = TokenBucket(capacity: 1, refillPerSecond: 1, now: 5)
        _ = bucket.take(now: 5)
        let decision8 = bucket.take(now: 1)
        #expect(decision8 == .refused(retryAfter: 1))
        #expect(bucket.updatedAt == 5)
        #expect(bucket.secondsUntilFull(now: 5.5) == 0.5)
    }
}
