import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lock that makes a SQLite data directory one node's: SQLite mode has no bus between
/// processes, so a second server on the same directory would never hear of the first one's
/// logouts, demotions or deletions. Held for the life of the process (the kernel releases it
/// when the process ends, `kill -9` included).
public enum DataDirectoryLock {
    /// The open descriptors of the locks held, kept so the locks live as long as the process.
    private static let held = Mutex<[Int32]>([])

    /// Takes the lock of `directory`, or throws naming the setting when another process holds it.
    public static func acquire(_ directory: String) throws(ConfigurationError) {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("apus.lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .invalid("APUS_DATA_DIR", "cannot open \(path) to lock the data directory") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw .invalid(
                "APUS_DATA_DIR",
                "another apus server is running on \(directory); SQLite mode is one node (use PostgreSQL, APUS_DATABASE_URL, for several)"
            )
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
        held.withLock { $0.append(descriptor) }
    }
}
