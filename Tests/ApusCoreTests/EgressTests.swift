@testable import ApusCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Synchronization
import Testing

/// The egress client against a live local server: retries, breaker, cache, limits, timeouts.
@Suite struct EgressTests {
    // MARK: Live calls

    @Test func aLoopbackTargetIsReachedWhenItsBlockIsAllowed() async throws {
        try await withTarget { port, target in
            try await withClient(allow: ["127.0.0.1/32"]) { client in
                let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/ok"))
                #expect(response.status == 200)
                #expect(String(decoding: response.body, as: UTF8.self) == "hello")
                #expect(response.attempts == 1)
                #expect(!response.fromCache)
            }
            #expect(target.hits("ok") == 1)
        }
    }

    @Test func aHostNameAllowedByNameIsReached() async throws {
        try await withTarget { port, _ in
            try await withClient(allow: ["localhost"]) { client in
                let response = try await client.execute(EgressRequest(url: "http://localhost:\(port)/ok"))
                #expect(response.status == 200)
            }
        }
    }

    @Test func aResolvedNameIsPinnedAndStillNamedInTheHostHeader() async throws {
        try await withTarget { port, target in
            try await withClient(allow: ["127.0.0.0/8", "::1/128"]) { client in
                let response = try await client.execute(EgressRequest(url: "http://localhost:\(port)/ok"))
                #expect(response.status == 200)
            }
            #expect(target.lastHost == "localhost:\(port)")
        }
    }

    @Test func theClientRefusesLoopbackWithoutSendingAnything() async throws {
        try await withTarget { port, target in
            try await withClient(allow: []) { client in
                await #expect(throws: EgressError.self) {
                    try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/ok"))
                }
                await #expect(throws: EgressError.self) {
                    try await client.execute(EgressRequest(url: "http://localhost:\(port)/ok"))
                }
            }
            #expect(target.hits("ok") == 0)
        }
    }

    @Test func aGETIsRetriedThrough503sUntilItSucceeds() async throws {
        try await withTarget { port, target in
            try await withClient { client in
                let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/flaky"))
                #expect(response.status == 200)
                #expect(response.attempts == 3)
            }
            #expect(target.hits("flaky") == 3)
        }
    }

    @Test func aPOSTWithoutAnIdempotencyKeyIsSentOnce() async throws {
        try await withTarget { port, target in
            try await withClient { client in
                let response = try await client.execute(EgressRequest(method: .post, url: "http://127.0.0.1:\(port)/flaky", body: Array("{}".utf8)))
                #expect(response.status == 503)
                #expect(response.attempts == 1)
            }
            #expect(target.hits("flaky") == 1)
        }
    }

    @Test func aPOSTWithAnIdempotencyKeyIsRetriedWithTheKey() async throws {
        try await withTarget { port, target in
            try await withClient { client in
                let request = EgressRequest(method: .post, url: "http://127.0.0.1:\(port)/flaky", body: Array("{}".utf8), idempotencyKey: "order-42")
                let response = try await client.execute(request)
                #expect(response.status == 200)
                #expect(response.attempts == 3)
            }
            #expect(target.hits("flaky") == 3)
            #expect(target.idempotencyKeys == ["order-42", "order-42", "order-42"])
        }
    }

    @Test func otherClientErrorsAreNeverRetried() async throws {
        try await withTarget { port, target in
            try await withClient { client in
                let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/missing"))
                #expect(response.status == 404)
                #expect(response.attempts == 1)
            }
            #expect(target.hits("missing") == 1)
        }
    }

    @Test func retryAfterIsWaitedFor() async throws {
        try await withTarget { port, target in
            try await withClient { client in
                let start = ContinuousClock.now
                let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/later"))
                #expect(response.status == 200)
                #expect(response.attempts == 2)
                // The backoff alone would wait at most 50 ms.
                #expect(ContinuousClock.now - start >= .seconds(1))
            }
            #expect(target.hits("later") == 2)
        }
    }

    @Test func aRetryAfterLongerThanTheCapIsLeftToTheCaller() async throws {
        let settings = Self.fast { $0.maxRetryAfter = .milliseconds(500) }
        try await withTarget { port, target in
            try await withClient(settings: settings) { client in
                let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/later"))
                #expect(response.status == 503)
                #expect(response.headers[.retryAfter] == "1")
                #expect(response.attempts == 1)
            }
            #expect(target.hits("later") == 1)
        }
    }

    @Test func theCircuitOpensAfterTheThresholdAndFailsFast() async throws {
        let settings = Self.fast {
            $0.maxAttempts = 1
            $0.breakerFailureThreshold = 3
            $0.breakerOpenDuration = .seconds(60)
        }
        let registry = PrometheusCollectorRegistry()
        try await withTarget { port, target in
            try await withClient(settings: settings, metrics: registry) { client in
                for _ in 0..<3 {
                    let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/broken"))
                    #expect(response.status == 500)
                }
                await #expect(throws: EgressError.circuitOpen(host: "127.0.0.1:\(port)")) {
                    try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/broken"))
                }
            }
            #expect(target.hits("broken") == 3)
            let exposition = registry.emitToString()
            #expect(exposition.contains(#"apus_egress_circuit_state{host="127.0.0.1:\#(port)"} 2"#))
            #expect(exposition.contains(#"apus_egress_requests_total{host="127.0.0.1:\#(port)",outcome="server_error"} 3"#))
            #expect(exposition.contains(#"apus_egress_requests_total{host="127.0.0.1:\#(port)",outcome="circuit_open"} 1"#))
        }
    }

    @Test func anOpenCircuitLetsATrialThroughAfterItsPauseAndCloses() async throws {
        let settings = Self.fast {
            $0.maxAttempts = 1
            $0.breakerFailureThreshold = 2
            $0.breakerOpenDuration = .milliseconds(200)
        }
        let registry = PrometheusCollectorRegistry()
        try await withTarget { port, target in
            try await withClient(settings: settings, metrics: registry) { client in
                for _ in 0..<2 { _ = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/broken")) }
                await #expect(throws: EgressError.circuitOpen(host: "127.0.0.1:\(port)")) {
                    try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/ok"))
                }
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/ok")).status == 200)
            }
            #expect(target.hits("ok") == 1)
            #expect(registry.emitToString().contains(#"apus_egress_circuit_state{host="127.0.0.1:\#(port)"} 0"#))
        }
    }

    @Test func anUnchangedResourceIsServedFromTheETagCache() async throws {
        try await withTarget { port, target in
            try await withClient { client in
                let first = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/tagged"))
                #expect(first.status == 200)
                #expect(!first.fromCache)
                let second = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/tagged"))
                #expect(second.status == 200)
                #expect(second.fromCache)
                #expect(second.body == first.body)
                #expect(second.headers[.eTag] == #""v1""#)
                // Another identity does not share the entry.
                let other = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/tagged", headers: [.authorization: "Bearer other"]))
                #expect(!other.fromCache)
            }
            #expect(target.ifNoneMatch == [nil, #""v1""#, nil])
        }
    }

    @Test func requestsInFlightToOneHostNeverExceedTheLimit() async throws {
        let settings = Self.fast { $0.maxConcurrentPerHost = 3 }
        try await withTarget { port, target in
            try await withClient(settings: settings) { client in
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<12 {
                        group.addTask { try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/slow")).status }
                    }
                    for try await status in group { #expect(status == 200) }
                }
                #expect(client.inFlight.inFlight("127.0.0.1:\(port)") == 0)
            }
            #expect(target.hits("slow") == 12)
            // Never above the limit (a busy machine may not even reach it).
            #expect((1...3).contains(target.maxInFlight))
        }
    }

    @Test func aRedirectIsReturnedNotFollowed() async throws {
        try await withTarget { port, _ in
            try await withClient { client in
                let response = try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/moved"))
                #expect(response.status == 302)
                #expect(response.headers[.location] == "http://169.254.169.254/latest/meta-data/")
            }
        }
    }

    @Test func aBodyOverTheLimitIsRefused() async throws {
        let settings = Self.fast { $0.maxResponseBytes = 3 }
        try await withTarget { port, _ in
            try await withClient(settings: settings) { client in
                await #expect(throws: EgressError.responseTooLarge) {
                    try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/ok"))
                }
            }
        }
    }

    @Test func aSlowHostTimesOutWithinTheTotalTime() async throws {
        let settings = Self.fast { $0.totalTimeout = .milliseconds(300) }
        try await withTarget { port, _ in
            try await withClient(settings: settings) { client in
                let start = ContinuousClock.now
                await #expect(throws: EgressError.timeout) {
                    try await client.execute(EgressRequest(url: "http://127.0.0.1:\(port)/stalled"))
                }
                // The host answers after 5 s; the 300 ms total cut the call long before (the
                // slack is for a loaded suite, where firing a timer can take a second).
                #expect(ContinuousClock.now - start < .seconds(4))
            }
        }
    }

    @Test func aClosedPortIsATransportError() async throws {
        let settings = Self.fast {
            $0.maxAttempts = 2
            $0.totalTimeout = .seconds(1)
        }
        try await withClient(settings: settings) { client in
            // Port 9 (discard) has no listener here. The HTTP stack retries refused connections
            // itself until the deadline, then reports the connection error.
            await #expect {
                try await client.execute(EgressRequest(url: "http://127.0.0.1:9/"))
            } throws: { error in
                guard case .transport = error as? EgressError else { return false }
                return true
            }
        }
    }
}
