import ArgumentParser

/// The wire a run speaks: Apus's own chat frames, or Socket.IO events over Engine.IO's
/// WebSocket transport (the same client for Apus's `/socket.io/` and for python-socketio).
enum Wire: String, ExpressibleByArgument, Sendable {
    case native
    case socketio
}

/// Where the load goes and how sockets are made.
struct TargetOptions: ParsableArguments {
    @Option(help: "The server's base URL.")
    var base = "http://127.0.0.1:18090"

    @Option(help: "native (Apus's /v1/chat/socket) or socketio (/socket.io/).")
    var wire: Wire = .native

    @Flag(help: "The server has no accounts (python-socketio): rooms are named, any token is taken.")
    var plain = false

    @Option(help: "Sockets to open.")
    var sockets = 1_000

    @Option(help: "Rooms the sockets are spread over, evenly.")
    var rooms = 1

    @Option(help: "Accounts the sockets are spread over (default: one for every 10 sockets).")
    var users: Int?

    @Option(help: "The server's process id, for its CPU time and resident memory.")
    var serverPid: Int32?

    @Option(help: "Sockets connecting at once.")
    var connecting = 64

    @Flag(help: "Print JSON lines instead of text.")
    var json = false

    var accountCount: Int { max(1, users ?? (sockets + 9) / 10) }
}
