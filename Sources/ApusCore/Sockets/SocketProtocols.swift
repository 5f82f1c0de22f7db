import Foundation
import HTTPTypes

/// What a client offered in `Sec-WebSocket-Protocol`: a browser cannot set `Authorization` on
/// a WebSocket, so a token may come as the subprotocol `bearer.<token>` (JWTs and API keys are
/// made of characters a subprotocol may carry).
struct SocketProtocols: Sendable, Equatable {
    static let tokenPrefix = "bearer."

    /// Every offered subprotocol, in order.
    let offered: [String]

    init(_ headers: HTTPFields) {
        self.offered = headers[values: .secWebSocketProtocol]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// The token offered, if any.
    var token: String? {
        offered.first { $0.hasPrefix(Self.tokenPrefix) }.map { String($0.dropFirst(Self.tokenPrefix.count)) }
    }

    /// The subprotocol to answer: a client that offers any must get one of them back, or a
    /// browser fails the connection. The first that is not a token (`apus`), else the token's.
    var chosen: String? {
        offered.first { !$0.hasPrefix(Self.tokenPrefix) } ?? offered.first
    }
}
