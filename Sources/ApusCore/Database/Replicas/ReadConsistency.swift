public import HTTPTypes
import Synchronization

/// Read-your-writes for one request: the WAL position the client has seen (from its
/// `Apus-Consistency` header), and whether this request wrote.
///
/// The platform middleware sets it as a task-local when replicas are configured; the database
/// notes writes in it, the read path sends a read to a replica only once the replica has
/// replayed past ``required``, and the answer to a request that wrote carries the primary's
/// position after it, for the client to send back.
public final class ReadConsistency: Sendable {
    /// The position a replica must have replayed to answer this request's reads; `nil` if the
    /// client sent none.
    public let required: WALPosition?
    private let wrote = Atomic<Bool>(false)

    public init(required: WALPosition?) { self.required = required }

    /// The request running on this task, if replicas are configured.
    @TaskLocal public static var current: ReadConsistency?

    /// Notes that the current request wrote to the primary.
    @inlinable
    public static func noteWrite() { current?.markWritten() }

    @usableFromInline
    func markWritten() { wrote.store(true, ordering: .relaxed) }

    /// Whether this request wrote (through a transaction or a write on the primary).
    public var hasWritten: Bool { wrote.load(ordering: .relaxed) }
}

extension HTTPField.Name {
    /// Read-your-writes: the primary's WAL position after a request that wrote, which the
    /// client sends back so its later reads never see an older state.
    public static let apusConsistency = Self("Apus-Consistency")!
}
