public import Testing

/// Waits up to `seconds` for `condition`, checking every 20 ms; returns whether it held. For
/// what travels asynchronously (the outbox, the bus, a buffer's flush), never a fixed sleep.
/// The one polling helper of the test suites.
///
/// It also checks at least as many times as `seconds` would allow on an idle machine: while
/// hundreds of tests share two cores, the task that makes the condition true may wait as long as
/// the deadline itself, and a check that only reads the clock would then fail a correct program.
public func eventually(_ seconds: Double = 15, _ condition: () async throws -> Bool) async throws -> Bool {
    let interval = Duration.milliseconds(20)
    let deadline = ContinuousClock.now + .seconds(seconds)
    let checks = Int(seconds * 50)
    var checked = 0
    while ContinuousClock.now < deadline || checked < checks {
        if try await condition() { return true }
        checked += 1
        try await Task.sleep(for: interval)
    }
    return try await condition()
}

/// Expects `condition` to hold within `seconds`, recording an issue at the caller when it does
/// not.
public func expectEventually(
    _ seconds: Double = 15, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool
) async throws {
    let held = try await eventually(seconds, condition)
    #expect(held, "did not happen within \(seconds) s", sourceLocation: sourceLocation)
}
