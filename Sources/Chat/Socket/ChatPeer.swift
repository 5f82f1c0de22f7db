import ApusCore
import Foundation
import Hummingbird

/// A socket as chat speaks to it: its own frames (`/v1/chat/socket`), or the same frames as
/// Socket.IO events (`/socket.io/`). The hub fans out one frame text to every peer; a Socket.IO
/// peer wraps it as `42["<type>",<frame>]`.
struct ChatPeer: Sendable {
    enum Wire: Sendable { case native, socketIO }

    /// How a client asked for an answer: a native frame's `ref`, or a Socket.IO ack id.
    enum Reply: Sendable {
        case native(JSONValue?)
        case socketIO(Int?)
    }

    let socket: Socket
    let wire: Wire

    var id: Int { socket.id }

    /// Sends a server frame (JSON with a `type`).
    @discardableResult
    func send(_ frame: String) -> Bool {
        send(Outgoing(frame))
    }

    /// Sends a frame rendered for both wires.
    @discardableResult
    func send(_ frame: Outgoing) -> Bool {
        socket.send(text: wire == .native ? frame.native : frame.socketIO)
    }

    /// A server frame rendered once for each wire, in bytes, so that a fan-out to a room's
    /// peers does the work once, not once a peer: every socket writes the same buffer.
    struct Outgoing: Sendable {
        let native: ByteBuffer
        let socketIO: ByteBuffer

        init(_ frame: String) {
            native = ByteBuffer(string: frame)
            socketIO = ByteBuffer(string: "42[\"\(ChatPeer.type(of: frame))\",\(frame)]")
        }
    }

    /// The text that acknowledges a request with `body`, or `nil` when the client asked for none.
    func ack(_ reply: Reply, _ body: some Encodable) -> String? {
        switch reply {
        case .native(let ref): ServerFrame.text(ServerFrame.Ack(ref: ref, body: body))
        case .socketIO(let id?): "43\(id)[\(ServerFrame.text(body))]"
        case .socketIO(nil): nil
        }
    }

    /// Answers a request that failed with `problem`.
    func fail(_ reply: Reply, _ problem: Problem) {
        let body = ServerFrame.Error.Problem(type: problem.type, title: problem.title, status: Int(problem.status.code), detail: problem.detail)
        switch reply {
        case .native(let ref): socket.send(ServerFrame.text(ServerFrame.Error(ref: ref, error: body)))
        case .socketIO(let id?): socket.send("43\(id)[\(ServerFrame.text(ErrorReply(error: body)))]")
        case .socketIO(nil): send(ServerFrame.text(ServerFrame.Error(ref: nil, error: body)))
        }
    }

    struct ErrorReply: Encodable { var error: ServerFrame.Error.Problem }

    /// The top-level `type` of a frame this module encoded: keys are sorted and every nested
    /// object with a `type` (an error's problem) sorts before it, so it is the last one; a
    /// string value cannot hold the pattern unescaped.
    static func type(of frame: String) -> Substring {
        guard let key = frame.range(of: "\"type\":\"", options: .backwards),
            let end = frame[key.upperBound...].firstIndex(of: "\"")
        else { return "message" }
        return frame[key.upperBound..<end]
    }
}
