public import Foundation

/// Where a job stands.
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// Waiting for its `run_at`, or for a worker.
    case available
    /// Leased by a worker.
    case running
    /// Done.
    case completed
    /// Out of attempts (or failed for good): kept with its history until replayed.
    case dead
}

/// A job to put on the queue.
public struct NewJob: Sendable {
    /// Which handler runs it, such as `notifications.deliver`.
    public var kind: String
    /// The handler's input, usually JSON.
    public var payload: String
    /// Not before this time; `nil`: as soon as it is enqueued (on the queue's clock).
    public var runAt: Date?
    /// Higher runs first among due jobs.
    public var priority: Int
    /// A second enqueue with the same key is a no-op.
    public var idempotencyKey: String?
    /// Overrides `APUS_JOBS_MAX_ATTEMPTS` for this job.
    public var maxAttempts: Int?

    public init(kind: String, payload: String = "{}", runAt: Date? = nil, priority: Int = 0, idempotencyKey: String? = nil, maxAttempts: Int? = nil) {
        self.kind = kind
        self.payload = payload
        self.runAt = runAt
        self.priority = priority
        self.idempotencyKey = idempotencyKey
        self.maxAttempts = maxAttempts
    }

    /// A job whose payload is `value` encoded as JSON.
    public init(kind: String, json value: some Encodable, runAt: Date? = nil, priority: Int = 0, idempotencyKey: String? = nil, maxAttempts: Int? = nil) throws {
        let payload = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        self.init(kind: kind, payload: payload, runAt: runAt, priority: priority, idempotencyKey: idempotencyKey, maxAttempts: maxAttempts)
    }
}

/// A job a worker claimed, as its handler sees it.
public struct ClaimedJob: Sendable {
    /// The job's id.
    public let id: Int64
    /// Its kind.
    public let kind: String
    /// Its payload.
    public let payload: String
    /// This attempt's number, from 1.
    public let attempt: Int
    /// The attempts it has in all.
    public let maxAttempts: Int

    /// The payload decoded from JSON.
    public func decode<Payload: Decodable>(_ type: Payload.Type) throws -> Payload {
        try JSONDecoder().decode(type, from: Data(payload.utf8))
    }

    /// Whether a failure now dead-letters the job.
    public var isLastAttempt: Bool { attempt >= maxAttempts }
}

/// What a handler throws to steer what happens after a failure.
public enum JobFailure: Error, Sendable {
    /// Retry, not before `after` seconds (a `Retry-After` the other side sent).
    case retry(after: Double, reason: String)
    /// Do not retry: dead-letter now.
    case permanent(String)
}

extension JobFailure {
    /// What the handler said went wrong, kept with the attempt.
    var reason: String {
        switch self {
        case .retry(_, let reason), .permanent(let reason): reason
        }
    }
}

/// A stored job with its history, for the dead-letter list and the admin API.
public struct JobRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var kind: String
    public var payload: String
    public var state: JobState
    public var priority: Int
    public var attempts: Int
    public var maxAttempts: Int
    public var runAt: String
    public var lastError: String?
    public var idempotencyKey: String?
    public var createdAt: String
    public var finishedAt: String?
    /// Every failed attempt, oldest first.
    public var errors: [AttemptError]

    /// One failed attempt.
    public struct AttemptError: Sendable, Codable, Equatable {
        public var attempt: Int
        public var at: String
        public var error: String
    }
}
