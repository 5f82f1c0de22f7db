import NIOPosix

/// Threads for work that blocks, one pool per kind, so one kind can never starve another: a
/// burst of logins (bcrypt) used to hold the shared pool every SQLite statement and every name
/// lookup also waited on, and a failing DNS server stalled unrelated writes. Started once and
/// kept for the life of the process, like NIO's own singleton.
enum BlockingPools {
    /// bcrypt: two threads, bounded further by ``PasswordHasher``'s admission limit.
    static let passwords = started(2)
    /// Every SQLite statement.
    static let sqlite = started(4)
    /// `getaddrinfo` for outbound calls.
    static let names = started(2)
    /// Reads, writes and `fsync`s of the local object store.
    static let files = started(2)

    private static func started(_ threads: Int) -> NIOThreadPool {
        let pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        return pool
    }
}
