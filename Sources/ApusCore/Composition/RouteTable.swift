import Hummingbird
import Synchronization

/// The paths of every route the node serves, known once every module's routes are in place.
/// What depends on all of them (the words a short-link alias may not take) reads it here, so the
/// answer does not depend on the order modules are started in.
public final class RouteTable: Sendable {
    /// The name every route's capture of its first path segment must use (`/{code}`,
    /// `/{code}/_bulk`): the router keeps one capture per position, so two modules that capture
    /// the first segment under different names would hide one another's routes. Short links
    /// took it first.
    public static let rootCapture = "code"

    private let paths = Mutex<[String]>([])
    private let declared = Mutex<Set<String>>([])

    init() {}

    /// Every route's path, as templates (`/v1/links/{code}`).
    public var all: [String] { paths.withLock { $0 } }

    /// The first segment of every route's path, lower-cased (`v1`, `health`, `.well-known`),
    /// and every root segment a shipped module declares, run here or not
    /// (``Module/rootSegments``).
    public var firstSegments: Set<String> {
        Set(all.compactMap { $0.split(separator: "/").first.map { $0.lowercased() } }).union(declared.withLock { $0 })
    }

    func declare(_ segments: [String]) {
        declared.withLock { $0.formUnion(segments.map { $0.lowercased() }) }
    }

    func record(_ router: SegmentRouter<ApusRequestContext>) {
        let recorded = router.routes.map { $0.path.description }
        paths.withLock { $0 = recorded }
    }
}
