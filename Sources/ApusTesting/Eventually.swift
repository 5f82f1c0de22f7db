public import Testing

/// Waits up to `seconds` for `condition`, checking every 20 ms; returns whether it held. For
/// what travels asynchronously (the outbox, the bus, a buffer's flush), never a fixed sleep.
/// The one polling helper of the test suites.
public func eventually(_ seconds: Double = 15, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
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
