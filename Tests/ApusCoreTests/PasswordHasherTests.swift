import ApusCore
import Foundation
import Testing

@Suite struct PasswordHasherTests {
    /// Past its admission limit the hasher refuses at once with 503 and Retry-After instead of
    /// queueing without end; what it admitted still completes.
    @Test func aFloodOfHashesIsRefusedPastTheLimitNotQueued() async throws {
        let hasher = PasswordHasher(cost: 12, maxPending: 2)
        let outcomes = await withTaskGroup(of: Result<String, any Error>.self) { group in
            for index in 0..<8 {
                group.addTask {
                    do {
                        return .success(try await hasher.hash("password \(index)"))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let refused = outcomes.compactMap { outcome -> Problem? in
            if case .failure(let error) = outcome { return error as? Problem }
            return nil
        }
        #expect(outcomes.count { if case .success = $0 { true } else { false } } >= 2)
        #expect(refused.count >= 1)
        #expect(refused.allSatisfy { $0.status == .serviceUnavailable && $0.headers[.retryAfter] == "1" })
        // Room again once they are done.
        #expect(try await hasher.verify("password 0", hash: try await hasher.hash("password 0")))
    }
}
