import NIOPosix

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Looks host names up with the system resolver, so the guard sees the addresses the connection
/// would use (hosts files included).
enum HostResolver {
    /// Every address `host` resolves to. `getaddrinfo` blocks, so it runs on threads of its own
    /// (``BlockingPools/names``), never on an event loop, a cooperative thread or the pool
    /// other blocking work shares.
    static func addresses(of host: String) async throws(EgressError) -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        do {
            return try await BlockingPools.names.runIfActive { try lookUp(host) }
        } catch let error as EgressError {
            throw error
        } catch {
            throw Task.isCancelled ? .cancelled : .transport("could not resolve \(host): \(error)")
        }
    }

    private static func lookUp(_ host: String) throws(EgressError) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let list else {
            let reason = gai_strerror(status).map { String(cString: $0) } ?? "error \(status)"
            throw .transport("could not resolve \(host): \(reason)")
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            if let socketAddress = current.pointee.ai_addr, let address = IPAddress(socketAddress), !addresses.contains(address) {
                addresses.append(address)
            }
            entry = current.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw .transport("could not resolve \(host): no addresses") }
        return addresses
    }
}
