import PostgresNIO

extension ReadReplicas {
    /// The connection failed, or the pool could not make one: the replica, not the statement.
    static func isConnectionFault(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else {
            // The pool's own errors (its circuit breaker after failed connects) are not PSQLError.
            return String(reflecting: type(of: error)).contains("ConnectionPool")
        }
        return error.code != .server
    }

    /// A standby refused the statement: a conflict with recovery (40001), a write (25006), or
    /// an operator's shutdown (class 57).
    static func isReplicaFault(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "25006" || state.hasPrefix("57")
    }
}
