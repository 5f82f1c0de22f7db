import PostgresNIO

extension ReadReplicas {
    /// The connection failed, or the pool could not make one: the replica, not the statement.
    /// (A client-side mistake, such as too many parameters, is the statement's, and would fail on
    /// the primary as well.)
    static func isConnectionFault(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else {
            // The pool's own errors (its circuit breaker after failed connects) are not PSQLError.
            return String(reflecting: type(of: error)).contains("ConnectionPool")
        }
        return connectionFaults.contains(error.code)
    }

    private static let connectionFaults: [PSQLError.Code] = [
        .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
        .sslUnsupported, .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest,
        .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError,
        .messageDecodingFailure, .unexpectedBackendMessage,
    ]

    /// A standby refused the statement: a conflict with recovery (40001), a write (25006), an
    /// operator's shutdown (class 57), or a table, column or function it has not replayed yet
    /// (42P01, 42703, 42883: a release that reads what its expand migration just added).
    static func isReplicaFault(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return ["40001", "25006", "42P01", "42703", "42883"].contains(state) || state.hasPrefix("57")
    }
}
